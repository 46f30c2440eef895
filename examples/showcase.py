"""The showcase: every example in this folder behind one index page.

Run: scripts/showcase            (or: uv run python examples/showcase.py --port 8000)

asgikit has no router, so this file mounts each example under its own prefix with a
few lines of plain ASGI: the prefix moves from ``path`` to ``root_path``.
"""

from __future__ import annotations

import argparse
import html
import importlib
import socket
import sys
from pathlib import Path
from typing import Any

from asgikit.asgi import ASGIApp, Receive, Scope, Send
from asgikit.requests import Request

sys.path.insert(0, str(Path(__file__).parent))

EXAMPLES: list[tuple[str, str, str]] = [
    ("hello", "Hello text", "The smallest app: respond_text."),
    ("json_echo", "JSON echo", "POST JSON and get it back (read_json, respond_json)."),
    ("headers_cookies", "Headers and cookies", "Request headers, and a visit counter cookie."),
    ("streaming", "Streaming", "A response written line by line (response_writer)."),
    ("sse_clock", "Server-Sent Events clock", "The server's time pushed every second."),
    ("upload", "Form with file upload", "A multipart form; files saved to disk (asgikit-forms)."),
    (
        "download",
        "File download with Range",
        "A file served with Range and resume (asgikit-files).",
    ),
    ("static_dir", "Static directory", "A folder served safely (asgikit-files StaticFiles)."),
    ("ws_echo", "WebSocket echo", "Every message comes back (asgikit-websockets)."),
    ("ws_chat", "WebSocket chat", "Open it in two windows and talk."),
]

APPS: dict[str, ASGIApp] = {name: importlib.import_module(name).app for name, _, _ in EXAMPLES}


def index_page() -> str:
    items = "".join(
        f'<li><a href="{name}/">{html.escape(title)}</a> — {html.escape(text)}</li>'
        for name, title, text in EXAMPLES
    )
    return (
        "<!doctype html><meta charset=utf-8><title>asgikit showcase</title>"
        "<h1>asgikit showcase</h1><p>Each example is one small file in "
        f"<code>examples/</code>.</p><ul>{items}</ul>"
    )


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    path: str = scope["path"]
    name, _, rest = path.lstrip("/").partition("/")
    child = APPS.get(name)
    if child is not None:
        if not rest and not path.endswith("/") and scope["type"] == "http":
            # "/hello" → "/hello/", so that the example's relative links resolve.
            await Request(scope, receive, send).respond_redirect(f"{path}/")
            return
        mounted: dict[str, Any] = dict(scope)
        mounted["root_path"] = scope.get("root_path", "") + f"/{name}"
        mounted["path"] = f"/{rest}"
        if "raw_path" in scope and scope["raw_path"] is not None:
            mounted["raw_path"] = mounted["path"].encode()
        await child(mounted, receive, send)
        return
    request = Request(scope, receive, send)
    if scope["type"] != "http":
        return  # an unknown websocket path: closing without accept rejects it
    if path == "/":
        await request.respond_text(index_page(), media_type="text/html")
    else:
        await request.respond_text("not found", status=404)


def free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve every asgikit example.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    import uvicorn

    port = free_port(args.port) if args.host == "127.0.0.1" else args.port
    print(f"asgikit showcase: http://{args.host}:{port}/  (Ctrl+C stops it)", flush=True)
    uvicorn.run(app, host=args.host, port=port, log_level="warning")


if __name__ == "__main__":
    main()
