# Deliberate type errors, one per "# ERROR" line; excluded from the project's mypy run.
from asgikit.asgi import Receive, Scope, Send
from asgikit.testclient import TestClient


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})


async def check() -> None:
    async with TestClient(app, spec_verison="2.3") as client:  # ERROR
        status: str = (await client.get("/")).status_code  # ERROR
        async with client.websocket_connect("/ws") as ws:
            await ws.send_text(b"bytes")  # ERROR
        print(status)
