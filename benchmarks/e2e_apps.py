"""The apps that benchmarks/e2e.py serves: one per implementation, routed by path.

``/hello`` (text), ``/json`` (POST, echo an id), ``/file`` (1 MB from disk), ``/sse``
(one event, then the stream stays open), and a websocket echo at any path. The hello,
JSON and echo handlers are the in-process benchmark's (``bench_core``,
``bench_websockets``).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import (
    hello_asgikit,
    hello_raw,
    hello_starlette,
    json_asgikit,
    json_raw,
    json_starlette,
)
from bench_websockets import echo_asgikit, echo_raw, echo_starlette
from starlette.responses import FileResponse, StreamingResponse

from asgikit.requests import Request

FILE = Path(os.environ.get("ASGIKIT_E2E_FILE", Path(tempfile.gettempdir()) / "asgikit-e2e-1mb"))
FILE_SIZE = 1024 * 1024


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def file_raw(scope: Any, receive: Any, send: Any) -> None:
    data = await asyncio.to_thread(FILE.read_bytes)
    headers = [
        (b"content-type", b"application/octet-stream"),
        (b"content-length", b"%d" % len(data)),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def file_starlette(scope: Any, receive: Any, send: Any) -> None:
    await FileResponse(FILE)(scope, receive, send)


async def file_asgikit(scope: Any, receive: Any, send: Any) -> None:
    await Request(scope, receive, send).respond_file(FILE)


async def _forever() -> None:
    await asyncio.Event().wait()


async def sse_raw(scope: Any, receive: Any, send: Any) -> None:
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"data: hello\n\n", "more_body": True})
    while (await receive())["type"] != "http.disconnect":
        pass


async def _starlette_events() -> Any:
    yield b"data: hello\n\n"
    await _forever()


async def sse_starlette(scope: Any, receive: Any, send: Any) -> None:
    await StreamingResponse(_starlette_events(), media_type="text/event-stream")(
        scope, receive, send
    )


async def _asgikit_events() -> Any:
    yield "hello"
    await _forever()


async def sse_asgikit(scope: Any, receive: Any, send: Any) -> None:
    await Request(scope, receive, send).respond_event_stream(_asgikit_events(), ping_interval=None)


def _app(handlers: dict[str, Any], echo: Any) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "websocket":
            await echo(scope, receive, send)
        else:
            await handlers.get(scope["path"], handlers["/hello"])(scope, receive, send)

    return app


raw = _app({"/hello": hello_raw, "/json": json_raw, "/file": file_raw, "/sse": sse_raw}, echo_raw)
starlette = _app(
    {
        "/hello": hello_starlette,
        "/json": json_starlette,
        "/file": file_starlette,
        "/sse": sse_starlette,
    },
    echo_starlette,
)
asgikit = _app(
    {"/hello": hello_asgikit, "/json": json_asgikit, "/file": file_asgikit, "/sse": sse_asgikit},
    echo_asgikit,
)
