"""A round-robin reverse proxy on 127.0.0.1 for tests that put several API processes behind one address.

It works on connections, as nginx's `upstream` does with its default `proxy_next_upstream error`: each client
connection goes to the next backend in turn, a backend that refuses the connection (its process is gone) is
skipped for the next one, and the bytes are copied both ways until either side closes. A request in flight on
a backend that dies loses its connection, as behind nginx; the client tries again. Written here rather than
running nginx or HAProxy so that the test needs no system package beyond PostgreSQL and Redis; it runs in a
thread with its own event loop, so the test's own loop never holds it up.
"""

from __future__ import annotations

import asyncio
import threading

BAD_GATEWAY = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class RoundRobinProxy:
    def __init__(self, backend_ports: list[int]) -> None:
        self.backends = list(backend_ports)
        self.connections = dict.fromkeys(self.backends, 0)  # client connections each backend took
        self.skipped = 0  # backends passed over because they refused the connection
        self._turn = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="reverse-proxy", daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop).result(10)
        self.port: int = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(len(self.backends)):
            port = self.backends[self._turn % len(self.backends)]
            self._turn += 1
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                self.skipped += 1
                continue
            self.connections[port] += 1
            await asyncio.gather(_copy(reader, upstream_writer), _copy(upstream_reader, writer))
            return
        writer.write(BAD_GATEWAY)
        await _close(writer)

    def close(self) -> None:
        async def shut() -> None:
            self._server.close()
            await self._server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10)
        except TimeoutError:
            pass  # connections still open: the loop stops under them
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


async def _copy(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
    """Until the source closes (or resets); then close the target, which ends the other direction too."""
    try:
        while data := await source.read(65536):
            target.write(data)
            await target.drain()
    except OSError:
        pass
    finally:
        await _close(target)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
