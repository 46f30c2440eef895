"""Hello text. Run: uv run uvicorn hello:app --app-dir examples"""

from __future__ import annotations

from asgikit.asgi import Receive, Scope, Send
from asgikit.lifespan import Lifespan
from asgikit.requests import Request

lifespan = Lifespan()  # nothing to set up; it tells the server that startup went fine


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    await request.respond_text("Hello, world!")
