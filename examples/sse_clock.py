"""Server-Sent Events clock: the page shows the server's time, pushed every second.
Run: uv run uvicorn sse_clock:app --app-dir examples
Try: curl -N http://127.0.0.1:8000/events"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from asgikit.asgi import Receive, Scope, Send
from asgikit.lifespan import Lifespan
from asgikit.requests import Request
from asgikit.responses import ServerSentEvent

PAGE = """<!doctype html>
<meta charset=utf-8><title>SSE clock</title>
<h1>Server time: <span id="clock">waiting…</span></h1>
<p>Ticks received: <span id="ticks">0</span></p>
<script>
  const source = new EventSource("events");
  let ticks = 0;
  source.addEventListener("tick", (event) => {
    document.getElementById("clock").textContent = event.data;
    document.getElementById("ticks").textContent = String(++ticks);
  });
</script>
"""

lifespan = Lifespan()


async def ticks() -> AsyncIterator[ServerSentEvent]:
    n = 0
    while True:
        n += 1
        now = datetime.now(UTC).strftime("%H:%M:%S")
        yield ServerSentEvent(now, event="tick", id=str(n))
        await asyncio.sleep(1)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    if request.path == "/events":
        # Returns by itself when the visitor leaves (after closing ticks()): no error
        # to catch, unlike response_writer() in streaming.py.
        await request.respond_event_stream(ticks())
    else:
        await request.respond_text(PAGE, media_type="text/html")
