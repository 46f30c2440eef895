"""WebSocket chat: open the page in two windows and talk.
Run: uv run uvicorn ws_chat:app --app-dir examples

The room is lifespan state: made at start-up, seen by every connection as
``request.state["room"]``. It lives in this process; with several workers or hosts,
publish each message to a broker (Redis pub/sub, ...) and let every worker write to its
own connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from asgikit.asgi import Receive, Scope, Send
from asgikit.lifespan import Lifespan
from asgikit.requests import Request
from asgikit.websockets import WebSocket, WebSocketDisconnect

PAGE = """<!doctype html>
<meta charset=utf-8><title>WebSocket chat</title>
<h1>Chat</h1>
<p>Open this page in a second window (or tab) and talk to yourself.</p>
<form id=form><input id=name size=8 value="guest"> <input id=text autocomplete=off>
<button>Send</button></form>
<ul id=messages></ul>
<script>
  const url = location.href.replace(/^http/, "ws").replace(/\\/?(\\?.*)?$/, "/ws");
  const socket = new WebSocket(url);
  socket.onopen = () => document.body.dataset.open = "yes";
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    const li = document.createElement("li");
    li.textContent = data.name + ": " + data.text;
    document.getElementById("messages").append(li);
  };
  document.getElementById("form").onsubmit = (event) => {
    event.preventDefault();
    const text = document.getElementById("text");
    socket.send(JSON.stringify({name: document.getElementById("name").value, text: text.value}));
    text.value = "";
  };
</script>
"""


@asynccontextmanager
async def chat_room() -> AsyncIterator[dict[str, Any]]:
    yield {"room": set()}  # the server closes every websocket before shutdown


lifespan = Lifespan(chat_room)


async def broadcast(room: set[WebSocket], message: dict[str, str]) -> None:
    async def deliver(member: WebSocket) -> None:
        try:
            await member.write_json(message)
        except WebSocketDisconnect:
            room.discard(member)

    await asyncio.gather(*(deliver(member) for member in list(room)))


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    if request.is_http:
        await request.respond_text(PAGE, media_type="text/html")
        return
    room: set[WebSocket] = request.state["room"]
    ws = await request.websocket_accept()
    room.add(ws)
    try:
        while True:
            data = await ws.read_json()
            if isinstance(data, dict):
                name = str(data.get("name", "guest"))[:32]
                text = str(data.get("text", ""))[:2000]
                await broadcast(room, {"name": name, "text": text})
    except WebSocketDisconnect:
        pass
    finally:
        room.discard(ws)
