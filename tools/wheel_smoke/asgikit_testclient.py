"""asgikit-testclient's smoke app: a request answered by a raw ASGI app, read in full,
and a websocket echo, through the wheel's TestClient."""

from __future__ import annotations

from asgikit.asgi import Receive, Scope, Send
from asgikit.testclient import TestClient

from .harness import Info, check, main


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        message = await receive()
        await send({"type": "websocket.send", "text": message["text"]})
        await receive()
        return
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello", "more_body": True})
    await send({"type": "http.response.body", "body": b" world"})


async def smoke(info: Info) -> None:
    async with TestClient(app) as client:
        response = await client.get("/")
        check(response.status_code == 200, f"status {response.status_code}")
        check(response.text == "hello world", f"body {response.text!r}")
        async with client.websocket_connect("/ws") as ws:
            await ws.send_text("hi")
            echo = await ws.receive_text()
            check(echo == "hi", f"websocket echo {echo!r}")


if __name__ == "__main__":
    main(smoke)
