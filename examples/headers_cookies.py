"""Headers and cookies: shows the request's headers and counts your visits in a cookie.
Run: uv run uvicorn headers_cookies:app --app-dir examples"""

from __future__ import annotations

import html

from asgikit.asgi import Receive, Scope, Send
from asgikit.lifespan import Lifespan
from asgikit.requests import Request

lifespan = Lifespan()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    raw_visits = request.cookies.get_first("visits", "0")
    visits = int(raw_visits) + 1 if raw_visits.isdigit() and len(raw_visits) < 10 else 1
    request.response.cookies.set("visits", str(visits), httponly=True, max_age=3600)
    request.response.headers.set("x-visits", str(visits))
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(value)}</td></tr>"
        for name, value in request.headers.items()
    )
    await request.respond_text(
        f"<!doctype html><meta charset=utf-8><title>Headers and cookies</title>"
        f"<h1>Visit number <span id='visits'>{visits}</span></h1>"
        f"<table><tr><th>header</th><th>value</th></tr>{rows}</table>",
        media_type="text/html",
    )
