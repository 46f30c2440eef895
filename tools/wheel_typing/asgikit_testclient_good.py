from asgikit.asgi import Receive, Scope, Send
from asgikit.testclient import ServerSentEvent, TestClient


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def check() -> None:
    async with TestClient(app, spec_version="2.3", timeout=1.0) as client:
        status: int = (await client.get("/")).status_code
        async with client.event_stream("/events") as events:
            async for event in events:
                first: ServerSentEvent = event
                print(first.data, status)
