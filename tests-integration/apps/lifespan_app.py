"""Apps for the lifespan tests: state from startup, a startup that fails, and an app that
does not handle lifespan at all (the servers must fall back, not hang)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from asgikit.asgi import Receive, Scope, Send
from asgikit.lifespan import Lifespan
from asgikit.requests import Request


@asynccontextmanager
async def resources() -> AsyncIterator[dict[str, Any]]:
    yield {"greeting": "set up at startup", "visits": [0]}


@asynccontextmanager
async def broken() -> AsyncIterator[None]:
    raise ConnectionRefusedError("the database at 127.0.0.1:1 refused the connection")
    yield  # pragma: no cover


lifespan = Lifespan(resources)
failing_lifespan = Lifespan(resources, broken)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    request.state["visits"][0] += 1
    await request.respond_json({"greeting": request.state["greeting"]})


async def failing_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await failing_lifespan(scope, receive, send)
        return
    await Request(scope, receive, send).respond_text("never served")


async def unaware_app(scope: Scope, receive: Receive, send: Send) -> None:
    """No lifespan handling at all, as in the README's first example."""
    request = Request(scope, receive, send)
    body = await request.read_json()
    await request.respond_json({"method": request.method, "body": body})
