"""Server-Sent Events clock: the page shows the server's time, pushed every second.
Run: uv run uvicorn sse_clock:app --app-dir examples
Try: curl -N http://127.0.0.1:8000/events
Several workers or hosts: REDIS_URL=redis://127.0.0.1:6379/0 uv run uvicorn ... (each)

Each server process publishes a tick a second to the "clock" channel of a broker, which
keeps the last 100 ticks; /events serves that channel. Every event carries the broker's
id, so a browser that loses the connection comes back with Last-Event-ID and gets the
ticks it missed, then the live ones, even from another worker or host (with REDIS_URL:
Redis or Valkey; else the broker lives in this process)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from asgikit.asgi import Receive, Scope, Send
from asgikit.errors import ClientError
from asgikit.lifespan import Lifespan
from asgikit.pubsub import (
    Broker,
    BrokerUnavailableError,
    MemoryBroker,
    RedisBroker,
    respond_channel_events,
)
from asgikit.requests import Request

PAGE = """<!doctype html>
<meta charset=utf-8><title>SSE clock</title>
<h1>Server time: <span id="clock">waiting…</span></h1>
<p>Ticks received: <span id="ticks">0</span> · last from: <span id="from">?</span></p>
<script>
  const source = new EventSource("events");
  let ticks = 0;
  source.addEventListener("tick", (event) => {
    const [time, from] = event.data.split(" ");
    document.getElementById("clock").textContent = time;
    document.getElementById("from").textContent = from;
    document.getElementById("ticks").textContent = String(++ticks);
  });
</script>
"""


async def tick(broker: Broker) -> None:
    me = f"pid-{os.getpid()}"
    while True:
        now = datetime.now(UTC).strftime("%H:%M:%S")
        # Redis away: this tick is not sent; the next one may be.
        with contextlib.suppress(BrokerUnavailableError):
            await broker.publish("clock", f"{now} {me}")
        await asyncio.sleep(1)


@asynccontextmanager
async def clock() -> AsyncIterator[dict[str, Any]]:
    url = os.environ.get("REDIS_URL")
    history = {"clock": 100}
    broker: Broker = RedisBroker(url, history=history) if url else MemoryBroker(history=history)
    async with broker:
        ticker = asyncio.create_task(tick(broker))
        yield {"clock": broker}
        ticker.cancel()
        await asyncio.wait({ticker})


lifespan = Lifespan(clock)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    if request.path == "/events":
        # Replays after Last-Event-ID, then goes live; returns by itself when the
        # visitor leaves (no error to catch, unlike response_writer() in streaming.py).
        try:
            await respond_channel_events(request, request.state["clock"], "clock", event="tick")
        except ClientError as exc:  # a Last-Event-ID that is not a tick's id: 400
            await request.respond_text(exc.message, status=exc.status_code)
    else:
        await request.respond_text(PAGE, media_type="text/html")
