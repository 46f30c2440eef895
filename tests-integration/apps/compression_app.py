"""An asgikit app behind CompressionMiddleware: the app of test_compression.py.

``/`` is a page that fetches ``/data.json`` and opens an EventSource on ``/events``;
``/events?stream=ID`` sends what ``POST /emit?stream=ID`` hands it (an event, or a
ping comment with ``kind=ping``), so a test decides when each event is sent.
``/plain.json`` opts out of compression; ``/image.png`` is already compressed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from asgikit.asgi import Receive, Scope, Send
from asgikit.compression import CompressionMiddleware
from asgikit.requests import Request
from asgikit.responses import ServerSentEvent

DATA = {"items": [{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(500)]}

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>compression</title>
<p id="count">…</p>
<ol id="events"></ol>
<script>
fetch("/data.json").then(r => r.json()).then(d => {
  document.getElementById("count").textContent = String(d.items.length);
});
const source = new EventSource("/events?stream=browser");
source.onopen = () => document.body.dataset.open = "yes";
source.onmessage = (e) => {
  const li = document.createElement("li");
  li.textContent = e.data;
  document.getElementById("events").append(li);
};
</script>
"""

_streams: dict[str, asyncio.Queue[ServerSentEvent]] = {}


def _queue(stream: str) -> asyncio.Queue[ServerSentEvent]:
    return _streams.setdefault(stream, asyncio.Queue())


async def _events(stream: str) -> AsyncIterator[ServerSentEvent]:
    queue = _queue(stream)
    while True:
        yield await queue.get()


async def inner(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    request = Request(scope, receive, send)
    path = request.path
    stream = request.query.get("stream", "default")
    if path == "/":
        await request.respond_text(PAGE, media_type="text/html")
    elif path == "/data.json":
        request.response.headers["etag"] = '"data-v1"'
        await request.respond_json(DATA)
    elif path == "/plain.json":
        request.response.compress = False
        await request.respond_json(DATA)
    elif path == "/image.png":
        await request.respond_bytes(b"\x89PNG" + bytes(4000), media_type="image/png")
    elif path == "/events":
        await request.respond_event_stream(_events(stream), ping_interval=None)
    elif path == "/emit" and request.method == "POST":
        text = (await request.read_bytes()).decode()
        if request.query.get("kind") == "ping":
            event = ServerSentEvent(comment=text)
        else:
            event = ServerSentEvent(text)
        _queue(stream).put_nowait(event)
        await request.respond_status(204)
    else:
        await request.respond_status(404)


app = CompressionMiddleware(inner)
# One coding each, for a browser that accepts them all.
app_gzip = CompressionMiddleware(inner, codings=("gzip",))
app_br = CompressionMiddleware(inner, codings=("br",))
app_zstd = CompressionMiddleware(inner, codings=("zstd",))
