"""A lean HTTP/1.1 keep-alive client for load generation on the machine under test.

httpx spends about 5 ms of CPU per request, twice what our server spends answering a check-in; on
a 2-core machine that shares its cores with the server, the client then sets the pace and the
comparison measures httpx. This client writes the request bytes itself and reads the answer by its
Content-Length: tens of microseconds per request. It understands only what our server sends
(HTTP/1.1, Content-Length bodies, keep-alive), which is all a benchmark needs.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode


class Response:
    __slots__ = ("body", "status_code")

    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code, self.body = status_code, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive connection; one request at a time (give each concurrent worker its own)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, *, json_body: Any = None, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> Response:
        """Send one request: a JSON body, or `body` as given (its Content-Type among `headers`)."""
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        if json_body is not None:
            body = json.dumps(json_body).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        if json_body is not None:
            head.append("Content-Type: application/json")
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        assert self._reader is not None
        status_line, _, header_block = (await self._reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
        length = 0
        closing = False
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                closing = True
        response = Response(int(status_line.split(b" ", 2)[1]), await self._reader.readexactly(length))
        if closing:
            await self.close()
        return response

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = self._reader = None


class LeanClient:
    """The slice of httpx.AsyncClient's interface the harness's request makers use (get/post with params,
    headers, cookies, json), over one keep-alive Connection: give each concurrent worker its own."""

    def __init__(self, base_url: str) -> None:
        host, _, port = base_url.removeprefix("http://").rstrip("/").partition(":")
        self.connection = Connection(host, int(port or 80))

    async def get(self, path: str, *, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                  cookies: dict[str, str] | None = None) -> Response:
        return await self.request("GET", path, params=params, headers=headers, cookies=cookies)

    async def post(self, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None) -> Response:
        return await self.request("POST", path, json_body=json, params=params, headers=headers, cookies=cookies)

    async def request(self, method: str, path: str, *, json_body: Any = None, params: dict[str, Any] | None = None,
                      headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None) -> Response:
        if params:
            path += ("&" if "?" in path else "?") + urlencode(params)
        headers = dict(headers or {})
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        return await self.connection.request(method, path, json_body=json_body, headers=headers)

    async def aclose(self) -> None:
        await self.connection.close()


class LeanPool:
    """httpx.AsyncClient's get/post for many requests in flight (the festival's open-loop arrivals): each request
    takes an idle keep-alive connection or opens one, at most `size` at a time.

    uvicorn closes a connection idle for 5 s: one idle for IDLE_SECONDS is closed here instead, and a request
    whose reused connection turns out closed before any answer (the server had not read it) is sent once more
    on a new one, as httpx does."""

    IDLE_SECONDS = 2.0

    def __init__(self, base_url: str, size: int = 200) -> None:
        self.base_url = base_url
        self._idle: list[tuple[LeanClient, float]] = []
        self._slots = asyncio.Semaphore(size)

    async def get(self, path: str, **options: Any) -> Response:
        return await self.request("GET", path, **options)

    async def post(self, path: str, *, json: Any = None, **options: Any) -> Response:
        return await self.request("POST", path, json_body=json, **options)

    async def request(self, method: str, path: str, **options: Any) -> Response:
        async with self._slots:
            client = await self._take()
            reused = client is not None
            client = client or LeanClient(self.base_url)
            try:
                response = await client.request(method, path, **options)
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                await client.aclose()
                if not reused or (isinstance(error, asyncio.IncompleteReadError) and error.partial):
                    raise
                client = LeanClient(self.base_url)  # the server had closed the idle connection: send it again
                response = await self._send(client, method, path, options)
            except BaseException:
                await client.aclose()  # a connection in an unknown state is never reused
                raise
            self._idle.append((client, asyncio.get_running_loop().time()))
            return response

    async def _send(self, client: LeanClient, method: str, path: str, options: dict[str, Any]) -> Response:
        try:
            return await client.request(method, path, **options)
        except BaseException:
            await client.aclose()
            raise

    async def _take(self) -> LeanClient | None:
        now = asyncio.get_running_loop().time()
        while self._idle:
            client, since = self._idle.pop()
            if now - since < self.IDLE_SECONDS:
                return client
            await client.aclose()
        return None

    async def __aenter__(self) -> LeanPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        while self._idle:
            await self._idle.pop()[0].aclose()
