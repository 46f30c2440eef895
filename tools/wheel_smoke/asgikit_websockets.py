"""asgikit-websockets' smoke app: accept, echo a text and a bytes frame, close; a
disconnect while reading."""

from __future__ import annotations

from asgikit.requests import Request
from asgikit.websockets import WebSocket, WebSocketDisconnect

from .harness import Info, channel, check, main, websocket_scope


async def smoke(info: Info) -> None:
    receive, send, sent = channel(
        [
            {"type": "websocket.connect"},
            {"type": "websocket.receive", "text": "hello"},
            {"type": "websocket.receive", "bytes": b"\x00\x01"},
        ]
    )
    ws = await Request(websocket_scope(), receive, send).websocket_accept()
    check(isinstance(ws, WebSocket), f"websocket_accept() gives a WebSocket: {ws!r}")
    for _ in range(2):
        await ws.write(await ws.read())
    await ws.close()
    kinds = [m["type"] for m in sent]
    check(
        kinds == ["websocket.accept", "websocket.send", "websocket.send", "websocket.close"],
        f"accept, echo twice, close: {kinds}",
    )
    check(sent[1].get("text") == "hello" and sent[1].get("bytes") is None, f"text echo {sent[1]}")
    check(
        sent[2].get("bytes") == b"\x00\x01" and sent[2].get("text") is None,
        f"bytes echo {sent[2]}",
    )

    receive, send, sent = channel(
        [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1001}]
    )
    ws = await Request(websocket_scope(), receive, send).websocket_accept()
    try:
        await ws.read()
    except WebSocketDisconnect as exc:
        check(exc.code == 1001, f"WebSocketDisconnect code {exc.code}")
    else:
        check(False, "read() after websocket.disconnect raises WebSocketDisconnect")


if __name__ == "__main__":
    main(smoke)
