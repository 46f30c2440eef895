"""The seed's HTTP examples and a middleware-then-handler body-sharing case."""

from __future__ import annotations

import asyncio
from typing import Any

from lifespan import run_lifespan

from asgikit.errors import ClientDisconnectedError
from asgikit.requests import Request


async def seed_json(scope: Any, receive: Any, send: Any) -> None:
    """The seed's request/response example."""
    assert scope["type"] == "http"
    request = Request(scope, receive, send)
    method = request.method
    path = request.path
    headers = request.headers
    body = await request.read_json()
    data = {
        "lang": "Python",
        "async": True,
        "platform": "asgi",
        "method": method,
        "path": path,
        "headers": dict(headers.items()),
        "body": body,
    }
    await request.respond_json(data)


async def handler(scope: Any, receive: Any, send: Any) -> None:
    """Answers with what it read and what the middleware left in the scope's state."""
    request = Request(scope, receive, send)
    body = await request.read_bytes()
    middleware_saw = scope.get("state", {}).get("middleware_saw")
    await request.respond_text(
        f"middleware saw {middleware_saw} bytes, handler saw {len(body)} bytes: {body.decode()}"
    )


async def body_logging_middleware(scope: Any, receive: Any, send: Any) -> None:
    """Reads the body first (as logging or signature middleware does), then calls the app."""
    if scope["type"] == "http":
        request = Request(scope, receive, send)
        body = await request.read_bytes()
        scope.setdefault("state", {})["middleware_saw"] = len(body)
    await handler(scope, receive, send)


stream_closed = asyncio.Event()


async def ticks() -> Any:
    try:
        while True:
            yield "tick"
            await asyncio.sleep(0.05)
    finally:
        stream_closed.set()


endless_done = asyncio.Event()
endless_outcome: list[str] = []


async def endless(request: Request) -> None:
    """A producer that awaits nothing but write(): only the writer can let the event loop
    see the client leave."""
    outcome = "returned"
    try:
        async with request.response_writer(media_type="application/octet-stream") as write:
            while True:
                await write(b"x" * 65536)
    except ClientDisconnectedError:
        outcome = "ClientDisconnectedError"
    except BaseException as exc:
        outcome = type(exc).__name__
        raise
    finally:
        endless_outcome.append(outcome)
        endless_done.set()


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await run_lifespan(receive, send)
        return
    path = scope["path"]
    if path == "/json":
        await seed_json(scope, receive, send)
    elif path == "/middleware":
        await body_logging_middleware(scope, receive, send)
    elif path == "/events-ignoring-body":
        request = Request(scope, receive, send)
        await request.respond_event_stream(ticks(), ping_interval=None)
    elif path == "/stream-closed":
        request = Request(scope, receive, send)
        try:
            await asyncio.wait_for(stream_closed.wait(), 10)
        except TimeoutError:
            await request.respond_text("still streaming", status=504)
            return
        await request.respond_text("closed")
    elif path == "/endless":
        await endless(Request(scope, receive, send))
    elif path == "/endless-outcome":
        request = Request(scope, receive, send)
        try:
            await asyncio.wait_for(endless_done.wait(), 30)  # a guard against a hang only
        except TimeoutError:
            await request.respond_text("still streaming", status=504)
            return
        await request.respond_text(",".join(endless_outcome))
    elif path == "/stream":
        request = Request(scope, receive, send)
        async with request.response_writer(media_type="text/plain") as write:
            for i in range(5):
                await write(f"line {i}\n".encode())
    elif path == "/upload":
        request = Request(scope, receive, send)
        total = 0
        async for chunk in request.read_stream():
            total += len(chunk)
        await request.respond_json({"received": total})
    elif path == "/limited":
        request = Request(scope, receive, send)
        from asgikit.errors import ClientError

        try:
            await request.read_bytes(max_body_size=1024)
        except ClientError as exc:
            await request.respond_text(str(exc), status=exc.status_code)
            return
        await request.respond_text("ok")
    else:
        request = Request(scope, receive, send)
        await request.respond_text("Hello, world!")
