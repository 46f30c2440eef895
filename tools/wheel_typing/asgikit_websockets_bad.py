# Deliberate type errors, one per "# ERROR" line; excluded from the project's mypy run.
from asgikit.requests import Request
from asgikit.websockets import WebSocket


async def handler(request: Request) -> None:
    ws: WebSocket = await request.websocket_accept()
    message: int = await ws.read()  # ERROR
    wrong: str = ws  # ERROR
    await request.websocket_accept(subprotocols="chat")  # ERROR
    print(message, wrong)
