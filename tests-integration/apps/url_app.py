"""Echoes the request's view of its URL and host, optionally after apply_forwarded.

The client picks with ``x-test-proxy``: absent, nothing is applied; ``x-forwarded`` or
``forwarded`` applies that family, trusting 127.0.0.1 and ::1 for up to two hops. A
websocket gets the same JSON as its one message.
"""

from __future__ import annotations

from typing import Any

from lifespan import run_lifespan

from asgikit.errors import ClientError
from asgikit.proxies import apply_forwarded
from asgikit.requests import Request


def _view(request: Request) -> dict[str, Any]:
    return {
        "url": request.url,
        "base_url": request.base_url,
        "host": request.host,
        "port": request.port,
        "scheme": request.scheme,
        "client": list(request.client) if request.client else None,
        "root_path": request.root_path,
        "path": request.path,
        "raw_path": None if request.raw_path is None else request.raw_path.decode("latin-1"),
    }


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await run_lifespan(receive, send)
        return
    request = Request(scope, receive, send)
    family = request.headers.get("x-test-proxy")
    if family in ("x-forwarded", "forwarded"):
        apply_forwarded(request, trusted=["127.0.0.1", "::1"], hops=2, headers=family)
    try:
        view = _view(request)
        if request.headers.get("x-test-allowed"):
            await request.check_host(allowed=request.headers.get_all("x-test-allowed"))
    except ClientError as exc:
        if request.is_websocket:
            await send({"type": "websocket.close", "code": 1008})
            return
        await request.respond_json({"error": exc.message}, status=exc.status_code)
        return
    if request.is_websocket:
        ws = await request.websocket_accept()
        await ws.write_json(view)
        await ws.close()
        return
    await request.respond_json(view)
