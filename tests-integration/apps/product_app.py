"""One application using all four distributions: uploads saved to disk and served back
with Range, a JSON API, Server-Sent Events and a websocket chat."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

from lifespan import run_lifespan

from asgikit.asgi import Receive, Scope, Send
from asgikit.errors import ClientError
from asgikit.forms import UploadedFile
from asgikit.requests import Request
from asgikit.responses import ServerSentEvent
from asgikit.websockets import WebSocket, WebSocketDisconnect

UPLOADS = Path(os.environ.get("PRODUCT_UPLOAD_DIR", "/tmp/asgikit-product-uploads"))
UPLOADS.mkdir(parents=True, exist_ok=True)
items: list[dict[str, object]] = []
room: set[WebSocket] = set()


async def upload(request: Request) -> None:
    form = await request.read_form()
    async with form:
        file = form.get_first("file")
        if not isinstance(file, UploadedFile):
            await request.respond_json({"error": "no file"}, status=400)
            return
        size = await file.save(UPLOADS / file.filename)
        await request.respond_json(
            {"name": file.filename, "size": size, "note": form.get_first("note")}, status=201
        )


async def events() -> AsyncIterator[ServerSentEvent]:
    for n in range(3):
        yield ServerSentEvent(f"event {n}", event="count", id=str(n))
        await asyncio.sleep(0)


async def chat(request: Request) -> None:
    ws = await request.websocket_accept()
    room.add(ws)
    try:
        async for message in ws:
            for member in list(room):
                try:
                    await member.write(message)
                except WebSocketDisconnect:
                    room.discard(member)
    finally:
        room.discard(ws)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await run_lifespan(receive, send)
        return
    request = Request(scope, receive, send)
    path = request.path
    if request.is_websocket:
        if path == "/chat":
            await chat(request)
        return
    try:
        if path == "/upload" and request.method == "POST":
            await upload(request)
        elif path.startswith("/files/"):
            name = path.removeprefix("/files/")
            if "/" in name or name.startswith("."):
                await request.respond_status(404)
            else:
                await request.respond_file(UPLOADS / name)
        elif path == "/api/items" and request.method == "POST":
            item = await request.read_json()
            items.append(item)
            await request.respond_json({"id": len(items), "item": item}, status=201)
        elif path == "/api/items":
            await request.respond_json(items)
        elif path == "/events":
            await request.respond_event_stream(events())
        else:
            await request.respond_text("not found", status=404)
    except ClientError as exc:
        if not request.response.is_started:
            await request.respond_text(str(exc), status=exc.status_code)
