"""Hello text. Run: uv run uvicorn hello:app --app-dir examples"""

from __future__ import annotations

from asgikit.asgi import Receive, Scope, Send
from asgikit.requests import Request


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    await request.respond_text("Hello, world!")
