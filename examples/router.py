"""Routing by method and path, the way a framework built on asgikit would do it.
Run: uv run uvicorn router:app --app-dir examples
Try: curl -i http://127.0.0.1:8000/notes ; curl -i -X PUT http://127.0.0.1:8000/notes

asgikit has no router: a framework owns that. This file shows the part that is left to
write, about 30 lines: a table of (method, path template, handler); ``{name}`` segments
become path parameters, kept in ``request.extras``; a path no route matches raises
``NotFoundError`` (404); a path that matches with another method raises
``MethodNotAllowedError`` (405) whose ``allowed`` becomes the ``Allow`` header; HEAD runs
the GET handler and asgikit leaves the body out."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from asgikit.asgi import Receive, Scope, Send
from asgikit.errors import ClientError, MethodNotAllowedError, NotFoundError
from asgikit.lifespan import Lifespan
from asgikit.requests import Request

Handler = Callable[[Request], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(method: str, template: str, handler: Handler) -> Route:
    """``"/notes/{note_id}"`` matches ``/notes/7`` with ``{"note_id": "7"}``."""
    parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ...
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
    )
    return Route(method, re.compile(regex), handler)


def match(routes: list[Route], method: str, path: str) -> tuple[Handler, dict[str, str]]:
    allowed: list[str] = []
    for candidate in routes:
        found = candidate.pattern.fullmatch(path)
        if found is None:
            continue
        if method == candidate.method or (method == "HEAD" and candidate.method == "GET"):
            return candidate.handler, found.groupdict()
        allowed.append(candidate.method)
    if not allowed:
        raise NotFoundError(f"nothing at {path}")
    if "GET" in allowed:
        allowed.append("HEAD")
    raise MethodNotAllowedError(f"{method} is not allowed here", allowed=tuple(allowed))


# -- the application: a notes API ------------------------------------------------------


@asynccontextmanager
async def notebook() -> AsyncIterator[dict[str, Any]]:
    yield {"notes": {}, "note_ids": itertools.count(1)}


lifespan = Lifespan(notebook)


async def list_notes(request: Request) -> None:
    await request.respond_json(list(request.state["notes"].values()))


async def create_note(request: Request) -> None:
    body = await request.read_json()  # 400, 413, 415 reach the handler in app()
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        await request.respond_json(
            {"error": 'send {"text": "..."}'}, status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
        return
    note_id = str(next(request.state["note_ids"]))
    note = request.state["notes"][note_id] = {"id": note_id, "text": body["text"][:500]}
    request.response.headers.set("location", f"{request.root_path}/notes/{note_id}")
    await request.respond_json(note, status=HTTPStatus.CREATED)


def find_note(request: Request) -> dict[str, str]:
    note_id = request.extras["path_params"]["note_id"]
    note: dict[str, str] | None = request.state["notes"].get(note_id)
    if note is None:
        raise NotFoundError(f"no note {note_id}")
    return note


async def get_note(request: Request) -> None:
    await request.respond_json(find_note(request))


async def delete_note(request: Request) -> None:
    del request.state["notes"][find_note(request)["id"]]
    await request.respond_status(HTTPStatus.NO_CONTENT)


async def console(request: Request) -> None:
    await request.respond_text(PAGE, media_type="text/html")


ROUTES = [
    route("GET", "/", console),
    route("GET", "/notes", list_notes),
    route("POST", "/notes", create_note),
    route("GET", "/notes/{note_id}", get_note),
    route("DELETE", "/notes/{note_id}", delete_note),
]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    if not request.is_http:
        return  # no websocket routes: returning without accepting refuses the handshake
    try:
        handler, params = match(ROUTES, request.method, request.path)
        request.extras["path_params"] = params
        await handler(request)
    except ClientError as exc:  # one place turns every client error into a JSON answer
        if request.response.is_started:
            raise
        if isinstance(exc, MethodNotAllowedError):
            request.response.headers.set("allow", ", ".join(exc.allowed))
        await request.respond_json(
            {"error": exc.message, "status": exc.status_code}, status=exc.status_code
        )


PAGE = """<!doctype html>
<meta charset=utf-8><title>Router</title>
<h1>A notes API</h1>
<form id=new><input id=text value="buy milk" autocomplete=off> <button>POST notes</button></form>
<p id=buttons>
  <button data-method=GET data-path=notes>GET notes</button>
  <button data-method=HEAD data-path=notes>HEAD notes</button>
  <button data-method=GET data-path=notes/1>GET notes/1</button>
  <button data-method=DELETE data-path=notes/1>DELETE notes/1</button>
  <button data-method=PUT data-path=notes>PUT notes</button>
  <button data-method=GET data-path=nowhere>GET nowhere</button>
</p>
<pre id=answer>Each button sends one request; its answer shows here.</pre>
<script>
  const shown = ["allow", "content-length", "content-type", "location"];
  async function call(method, path, body) {
    const init = {method};
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = {"content-type": "application/json"};
    }
    const response = await fetch(path, init);
    const headers = [...response.headers].filter(([name]) => shown.includes(name));
    document.getElementById("answer").textContent =
      method + " " + new URL(path, location).pathname + "\\n" +
      response.status + " " + response.statusText + "\\n" +
      headers.map(([name, value]) => name + ": " + value).join("\\n") + "\\n\\n" +
      pretty(await response.text());
  }
  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 1); } catch { return text; }
  }
  document.getElementById("new").onsubmit = (event) => {
    event.preventDefault();
    call("POST", "notes", {text: document.getElementById("text").value});
  };
  for (const button of document.querySelectorAll("#buttons button")) {
    button.onclick = () => call(button.dataset.method, button.dataset.path);
  }
</script>
"""
