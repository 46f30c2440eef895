"""JSON echo: POST JSON, get it back with some facts about the request.
Run: uv run uvicorn json_echo:app --app-dir examples
Try: curl -s -H 'content-type: application/json' -d '{"a": 1}' http://127.0.0.1:8000/"""

from __future__ import annotations

from http import HTTPMethod, HTTPStatus

from asgikit.asgi import Receive, Scope, Send
from asgikit.errors import ClientError
from asgikit.requests import Request


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    if request.method != HTTPMethod.POST:
        request.response.headers.set("allow", "POST")
        await request.respond_json(
            {"error": "POST a JSON body here"}, status=HTTPStatus.METHOD_NOT_ALLOWED
        )
        return
    try:
        body = await request.read_json()
    except ClientError as exc:  # 400 bad JSON, 413 too large, 415 not JSON
        await request.respond_json({"error": str(exc)}, status=exc.status_code)
        return
    await request.respond_json(
        {"method": request.method, "path": request.path, "query": request.query, "body": body}
    )
