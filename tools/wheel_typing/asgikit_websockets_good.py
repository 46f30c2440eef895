from asgikit.requests import Request
from asgikit.websockets import WebSocket, WebSocketDisconnect


async def handler(request: Request) -> None:
    ws: WebSocket = await request.websocket_accept()
    try:
        message = await ws.read()
        await ws.write(message)
    except WebSocketDisconnect as exc:
        print(exc)
    await ws.close()
