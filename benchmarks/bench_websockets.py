"""asgikit-websockets scenario: accept, then echo 10,000 text messages, then disconnect."""

from __future__ import annotations

from typing import Any

from harness import Scenario
from starlette.websockets import WebSocket as StarletteWebSocket
from starlette.websockets import WebSocketDisconnect as StarletteDisconnect

from asgikit.requests import Request
from asgikit.websockets import WebSocketDisconnect

MESSAGES = 10_000
TEXT = '{"op":"chat","room":"lobby","text":"hello, world"}'


def websocket_scope() -> dict[str, Any]:
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": "/echo",
        "raw_path": b"/echo",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"upgrade", b"websocket"),
            (b"connection", b"Upgrade"),
            (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
            (b"sec-websocket-version", b"13"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "subprotocols": [],
        "extensions": {"websocket.http.response": {}},
        "state": {},
    }


ECHO_MESSAGES: list[dict[str, Any]] = [
    {"type": "websocket.connect"},
    *({"type": "websocket.receive", "text": f"{TEXT} {i}"} for i in range(MESSAGES)),
    {"type": "websocket.disconnect", "code": 1000},
]


async def echo_raw(scope: Any, receive: Any, send: Any) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return
        text = message.get("text")
        if text is not None:
            await send({"type": "websocket.send", "text": text})
        else:
            await send({"type": "websocket.send", "bytes": message.get("bytes")})


async def echo_starlette(scope: Any, receive: Any, send: Any) -> None:
    ws = StarletteWebSocket(scope, receive, send)
    await ws.accept()
    try:
        while True:
            message = await ws.receive_text()
            await ws.send_text(message)
    except StarletteDisconnect:
        pass


async def echo_asgikit(scope: Any, receive: Any, send: Any) -> None:
    request = Request(scope, receive, send)
    ws = await request.websocket_accept()
    while True:
        try:
            message = await ws.read()
            await ws.write(message)
        except WebSocketDisconnect:
            break


def check_echo(sent: list[dict[str, Any]]) -> None:
    assert sent[0]["type"] == "websocket.accept", sent[0]
    assert not sent[0].get("headers"), sent[0]
    echoed = sent[1:]
    assert len(echoed) == MESSAGES, len(echoed)
    for i, message in enumerate(echoed):
        assert message["type"] == "websocket.send", message
        assert message.get("text") == f"{TEXT} {i}", message
        assert message.get("bytes") is None, message


SCENARIOS = [
    Scenario(
        "websocket echo 10k",
        {"raw": echo_raw, "starlette": echo_starlette, "asgikit": echo_asgikit},
        websocket_scope(),
        ECHO_MESSAGES,
        calls=10,
        check=check_echo,
    ),
]
