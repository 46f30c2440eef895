# Deliberate type errors, one per "# ERROR" line; excluded from the project's mypy run.
from asgikit.asgi import Receive, Scope, Send
from asgikit.requests import Request


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    path: int = request.path  # ERROR
    request.response.cookies.set("a", "1", max_ag=60)  # ERROR
    await request.respond_json({"path": path}, status="200")  # ERROR
