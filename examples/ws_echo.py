"""WebSocket echo: every message comes back.
Run: uv run uvicorn ws_echo:app --app-dir examples"""

from __future__ import annotations

from asgikit.asgi import Receive, Scope, Send
from asgikit.lifespan import Lifespan
from asgikit.requests import Request
from asgikit.websockets import WebSocketDisconnect

PAGE = """<!doctype html>
<meta charset=utf-8><title>WebSocket echo</title>
<h1>WebSocket echo</h1>
<form id=form><input id=text autocomplete=off value="hello"><button>Send</button></form>
<ul id=log></ul>
<script>
  const url = location.href.replace(/^http/, "ws").replace(/\\/?(\\?.*)?$/, "/ws");
  const socket = new WebSocket(url);
  const log = (text) => { const li = document.createElement("li"); li.textContent = text;
                          document.getElementById("log").append(li); };
  socket.onopen = () => document.body.dataset.open = "yes";
  socket.onmessage = (event) => log("echo: " + event.data);
  document.getElementById("form").onsubmit = (event) => {
    event.preventDefault(); socket.send(document.getElementById("text").value);
  };
</script>
"""

lifespan = Lifespan()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    if request.is_http:
        await request.respond_text(PAGE, media_type="text/html")
        return
    ws = await request.websocket_accept()
    while True:
        try:
            message = await ws.read()
            await ws.write(message)
        except WebSocketDisconnect:
            break
