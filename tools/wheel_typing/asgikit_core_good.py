from asgikit.asgi import Receive, Scope, Send
from asgikit.requests import Request


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    path: str = request.path
    await request.respond_json({"path": path}, status=200)
