"""The served application for the harness: the real app plus two baselines on the same server.

- `GET /bench/hello`: a bare Litestar handler (no database, no auth): the floor of the stack.
- `POST /bench/baseline`: one ORM insert in the request transaction (bench/checkin_bench.py's endpoint).
"""

from __future__ import annotations

from litestar import get

from bench.checkin_bench import BaselineRow, baseline

__all__ = ["BaselineRow", "hello", "make_app"]


@get("/bench/hello", exclude_from_auth=True)
async def hello() -> dict[str, str]:
    """A bare GET: routing, serialisation and the middleware stack, nothing else."""
    return {"hello": "world"}


def make_app():  # noqa: ANN201
    """uvicorn factory: the application as production serves it, plus the baselines."""
    from servicebank.app import create_app

    app = create_app()
    app.register(hello)
    app.register(baseline)
    return app
