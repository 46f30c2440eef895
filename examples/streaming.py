"""Streaming: a response written piece by piece as it is produced.
Run: uv run uvicorn streaming:app --app-dir examples
Try: curl -N http://127.0.0.1:8000/?count=20"""

from __future__ import annotations

import asyncio

from asgikit.asgi import Receive, Scope, Send
from asgikit.errors import ClientDisconnectedError
from asgikit.lifespan import Lifespan
from asgikit.requests import Request

lifespan = Lifespan()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    count = request.query.get_first("count", "10")
    total = min(int(count), 100) if count.isdigit() else 10
    try:
        async with request.response_writer(media_type="text/plain") as write:
            for i in range(1, total + 1):
                await write(f"line {i} of {total}\n".encode())
                await asyncio.sleep(0.1)
    except ClientDisconnectedError:
        return  # the visitor left before the end: nobody is there to answer
