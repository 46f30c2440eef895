"""WebSocket chat: open the page in two windows and talk.
Run: uv run uvicorn ws_chat:app --app-dir examples
Several workers or hosts: REDIS_URL=redis://127.0.0.1:6379/0 uv run uvicorn ... (each)

Every message goes through a broker, made at start-up (lifespan state, seen by every
connection as ``request.state["chat"]``): each connection publishes what its visitor
says and relays what the broker delivers. With nothing set the broker lives in this
process; with REDIS_URL it is Redis (or Valkey), so visitors on other workers and hosts
are in the same room."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from asgikit.asgi import Receive, Scope, Send
from asgikit.lifespan import Lifespan
from asgikit.pubsub import (
    Broker,
    BrokerUnavailableError,
    MemoryBroker,
    RedisBroker,
    Subscription,
)
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
    url = os.environ.get("REDIS_URL")
    broker: Broker = RedisBroker(url) if url else MemoryBroker()
    async with broker:  # with Redis: fails at start-up if the server is not there
        yield {"chat": broker}


lifespan = Lifespan(chat_room)


async def relay(sub: Subscription, ws: WebSocket) -> None:
    """Write each message of the room to this visitor. A visitor too slow to keep up
    loses the oldest messages (at most 100 wait), never the server's memory."""
    try:
        async for message in sub:
            await ws.write(message.text())
    except WebSocketDisconnect:
        pass


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    if request.is_http:
        await request.respond_text(PAGE, media_type="text/html")
        return
    broker: Broker = request.state["chat"]
    # Subscribed before accepting: once the visitor is in, it misses nothing.
    async with broker.subscribe("chat", max_queue=100) as sub:
        ws = await request.websocket_accept()
        relaying = asyncio.create_task(relay(sub, ws))
        try:
            while True:
                data = await ws.read_json()
                if isinstance(data, dict):
                    name = str(data.get("name", "guest"))[:32]
                    text = str(data.get("text", ""))[:2000]
                    try:
                        await broker.publish("chat", json.dumps({"name": name, "text": text}))
                    except BrokerUnavailableError:  # Redis is away: say so, keep the room
                        await ws.write_json({"name": "server", "text": "not sent, try again"})
        except WebSocketDisconnect:
            pass
        finally:
            relaying.cancel()
            await asyncio.wait({relaying})
