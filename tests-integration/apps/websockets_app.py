"""WebSocket endpoints for the integration tests, one per path.

``/closed/<key>`` (HTTP) waits until the websocket that registered ``key`` saw its
disconnect, then answers with the code and reason it saw, so a test can check what the
server side observed without sleeping.
"""

from __future__ import annotations

import asyncio
from typing import Any

from lifespan import run_lifespan

from asgikit.requests import Request
from asgikit.websockets import WebSocket, WebSocketDisconnect, deny

# Test-only process state: one server process, one event loop.
_closed: dict[str, asyncio.Future[dict[str, Any]]] = {}


def _closed_future(key: str) -> asyncio.Future[dict[str, Any]]:
    future = _closed.get(key)
    if future is None:
        future = _closed[key] = asyncio.get_running_loop().create_future()
    return future


async def echo(request: Request) -> None:
    """The seed example."""
    ws = await request.websocket_accept()
    while True:
        try:
            message = await ws.read()
            await ws.write(message)
        except WebSocketDisconnect:
            break


async def echo_json(request: Request) -> None:
    ws = await request.websocket_accept()
    while True:
        try:
            value = await ws.read_json()
        except WebSocketDisconnect:
            break
        await ws.write_json({"echo": value})


async def subprotocol(request: Request) -> None:
    offered = request.scope.get("subprotocols") or []
    chosen = next((p for p in ("chat.v2", "chat.v1") if p in offered), None)
    ws = await request.websocket_accept(subprotocol=chosen, headers={"x-asgikit": "yes"})
    await ws.write_json({"offered": list(ws.subprotocols), "chosen": ws.subprotocol})
    await ws.read()  # until the client closes


async def server_close(request: Request) -> None:
    ws = await request.websocket_accept()
    message = await ws.read_text()
    await ws.close(4001, f"bye {message}")


async def record(request: Request) -> None:
    """Echo until the client leaves, then record the code and reason it left with."""
    key = request.query["key"]
    ws = await request.websocket_accept()
    async for message in ws:
        await ws.write(message)
    _closed_future(key).set_result({"code": ws.close_code, "reason": ws.close_reason})


async def closed(request: Request) -> None:
    key = request.path.rsplit("/", 1)[-1]
    try:
        seen = await asyncio.wait_for(asyncio.shield(_closed_future(key)), timeout=10)
    except TimeoutError:
        await request.respond_json({"error": "not closed"}, status=504)
        return
    await request.respond_json(seen)


async def denied(request: Request) -> None:
    await deny(
        request,
        401,
        headers={"content-type": "text/plain", "x-denied": "yes"},
        body=b"no entry",
    )


async def rejected(request: Request) -> None:
    """Close before accept: the server refuses the handshake with 403."""
    await WebSocket(request).close()


async def limited(request: Request) -> None:
    """Echo with a 1 KiB limit; MessageTooBigError, a WebSocketDisconnect, ends the loop."""
    ws = await request.websocket_accept(max_message_size=1024)
    while True:
        try:
            await ws.write(await ws.read())
        except WebSocketDisconnect:
            break


async def seed_limited(request: Request) -> None:
    """The seed's echo loop with a 1 KiB limit. The handler records that it has ended
    (returned or raised) under ``key``, so a test knows when to read the server's log."""
    key = request.query["key"]
    try:
        ws = await request.websocket_accept(max_message_size=1024)
        while True:
            try:
                message = await ws.read()
                await ws.write(message)
            except WebSocketDisconnect:
                break
    finally:
        _closed_future(key).set_result({"code": ws.close_code, "reason": ws.close_reason})


async def info(request: Request) -> None:
    ws = await request.websocket_accept()
    await ws.write_json(
        {
            "path": ws.request.path,
            "query": dict(ws.request.query.items()),
            "cookies": dict(ws.request.cookies.items()),
            "header": ws.request.headers.get("x-client"),
        }
    )
    await ws.close()


ROUTES = {
    "/echo": echo,
    "/json": echo_json,
    "/subprotocol": subprotocol,
    "/server-close": server_close,
    "/record": record,
    "/deny": denied,
    "/reject": rejected,
    "/limited": limited,
    "/seed-limited": seed_limited,
    "/info": info,
}


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await run_lifespan(receive, send)
        return
    request = Request(scope, receive, send)
    if scope["type"] == "http":
        if request.path.startswith("/closed/"):
            await closed(request)
        else:
            await request.respond_status(404)
        return
    handler = ROUTES.get(request.path)
    if handler is None:
        await WebSocket(request).close()
        return
    await handler(request)
