"""The disconnect signal, early hints and trailers, on a real server."""

from __future__ import annotations

import asyncio
from typing import Any

from lifespan import run_lifespan

from asgikit.errors import ExtensionUnavailableError
from asgikit.requests import Request

waiting = asyncio.Event()
returned = asyncio.Event()
outcome: list[str] = []


async def wait_for_client(request: Request) -> None:
    """Waits for the client to leave, then notes it; nothing is answered."""
    waiting.set()
    try:
        await request.wait_disconnected()
        outcome.append(f"returned, is_disconnected={await request.is_disconnected()}")
    except BaseException as exc:
        outcome.append(type(exc).__name__)
        raise
    finally:
        returned.set()


async def report(request: Request, event: asyncio.Event, what: str) -> None:
    try:
        await asyncio.wait_for(event.wait(), 30)  # a guard against a hang only
    except TimeoutError:
        await request.respond_text(f"{what} never happened", status=504)
        return
    await request.respond_text(",".join(outcome))


async def check(request: Request) -> None:
    """is_disconnected() before, between and after reading a body that the client is
    still sending: never true, and no byte lost."""
    answers = [await request.is_disconnected()]
    received = bytearray()
    async for chunk in request.read_stream():
        answers.append(await request.is_disconnected())
        received += chunk
    answers.append(await request.is_disconnected())
    await request.respond_json({"answers": answers, "received": len(received)})


async def hints(request: Request) -> None:
    sent = await request.send_early_hints(["</style.css>; rel=preload; as=style"])
    await request.respond_text(f"hints sent: {sent}")


async def trailers(request: Request) -> None:
    try:
        writer = request.response_writer(media_type="text/plain", trailers=True)
    except ExtensionUnavailableError:
        await request.respond_text("no trailers")
        return
    async with writer as write:
        await write("body, then trailers")
        await writer.send_trailers({"x-checksum": "c0ffee"})


async def extensions(request: Request) -> None:
    await request.respond_json(
        {"extensions": sorted(request.server_extensions), "http_version": request.http_version}
    )


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await run_lifespan(receive, send)
        return
    request = Request(scope, receive, send)
    path = scope["path"]
    if path == "/wait":
        await wait_for_client(request)
    elif path == "/waiting":
        await report(request, waiting, "the wait")
    elif path == "/outcome":
        await report(request, returned, "the return")
    elif path == "/check":
        await check(request)
    elif path == "/hints":
        await hints(request)
    elif path == "/trailers":
        await trailers(request)
    else:
        await extensions(request)
