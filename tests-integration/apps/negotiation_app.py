"""Answers JSON or HTML by Accept (406 when neither), greets in the client's language,
and says so with Vary: the app of test_negotiation.py."""

from __future__ import annotations

import html

from asgikit.asgi import Receive, Scope, Send
from asgikit.headers.vary import add_vary
from asgikit.requests import Request

GREETINGS = {"en": "Hello", "en-GB": "Good day", "fr": "Bonjour"}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    request = Request(scope, receive, send)
    add_vary(request.response.headers, "Accept", "Accept-Language")
    language = request.best_match(list(GREETINGS), header="accept-language") or "en"
    greeting = GREETINGS[language]
    request.response.headers["content-language"] = language
    chosen = request.best_match(["application/json", "text/html"])
    if chosen == "application/json":
        await request.respond_json({"greeting": greeting})
    elif chosen == "text/html":
        await request.respond_text(f"<p>{html.escape(greeting)}</p>", media_type="text/html")
    else:
        await request.respond_text("JSON or HTML only", status=406)
