"""JSON echo: POST JSON, get it back with some facts about the request.
Run: uv run uvicorn json_echo:app --app-dir examples
Try: curl -s -H 'content-type: application/json' -d '{"a": 1}' http://127.0.0.1:8000/"""

from __future__ import annotations

from http import HTTPMethod, HTTPStatus

from asgikit.asgi import Receive, Scope, Send
from asgikit.errors import ClientError
from asgikit.lifespan import Lifespan
from asgikit.requests import Request

PAGE = """<!doctype html>
<meta charset=utf-8><title>JSON echo</title>
<h1>JSON echo</h1>
<textarea id=body rows=4 cols=50>{"hello": "world"}</textarea><br>
<button id=send>POST it</button>
<pre id=answer></pre>
<script>
  document.getElementById("send").onclick = async () => {
    const response = await fetch("./?page=1", {method: "POST",
      headers: {"content-type": "application/json"},
      body: document.getElementById("body").value});
    document.getElementById("answer").textContent =
      response.status + " " + JSON.stringify(await response.json(), null, 2);
  };
</script>
"""

lifespan = Lifespan()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    if request.method == HTTPMethod.GET:
        await request.respond_text(PAGE, media_type="text/html")
        return
    if request.method != HTTPMethod.POST:
        request.response.headers.set("allow", "GET, POST")
        await request.respond_json(
            {"error": "POST a JSON body here"}, status=HTTPStatus.METHOD_NOT_ALLOWED
        )
        return
    try:
        body = await request.read_json()
    except ClientError as exc:  # 400 bad JSON, 413 too large, 415 not JSON
        await request.respond_json({"error": exc.message}, status=exc.status_code)
        return
    await request.respond_json(
        {
            "method": request.method,
            "root_path": request.root_path,  # where the app is mounted ("" when alone)
            "path": request.path,  # the path inside the app
            "query": request.query,
            "body": body,
        }
    )
