"""The websocket API end to end, as a client sees it, through asgikit-testclient (a
test-only dependency): handshake answers, messages, close codes both ways, the size
guard, and a room whose handler broadcasts after a member leaves."""

from __future__ import annotations

from typing import Any

import pytest

from asgikit.asgi import Receive, Scope, Send
from asgikit.requests import Request
from asgikit.testclient import TestClient, WebSocketClosed, WebSocketDenied
from asgikit.websockets import WebSocket, WebSocketDisconnect, WebSocketState, deny


class Echo:
    """The seed's echo loop; keeps its WebSocket for the assertions."""

    def __init__(self) -> None:
        self.ws: WebSocket | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        offered = scope["subprotocols"]
        self.ws = ws = await request.websocket_accept(
            subprotocol=offered[-1] if offered else None, headers=[("x-room", "lobby")]
        )
        while True:
            try:
                await ws.write(await ws.read())
            except WebSocketDisconnect:
                break


async def test_the_seed_echo_loop_seen_from_the_client() -> None:
    app = Echo()
    async with TestClient(app) as client:
        async with client.websocket_connect("/ws", subprotocols=["v1", "v2"]) as session:
            assert session.subprotocol == "v2"
            assert (b"x-room", b"lobby") in session.headers
            for message in ("hello", ""):
                await session.send_text(message)
                assert await session.receive_text() == message
            await session.send_bytes(b"\x00\x01")
            assert await session.receive_bytes() == b"\x00\x01"
            await session.close(4000, "bye")
        # close() returned once the handler had: its loop ended on the disconnect.
        assert app.ws is not None
        assert app.ws.state is WebSocketState.CLOSED
        assert (app.ws.close_code, app.ws.close_reason) == (4000, "bye")


async def denying(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    await deny(request, 401, headers={"www-authenticate": "Bearer"}, body=b"who are you?")


@pytest.mark.parametrize("offered", [True, False])
async def test_deny_as_the_client_sees_it(offered: bool) -> None:
    extensions: dict[str, dict[str, Any]] = {"websocket.http.response": {}} if offered else {}
    async with TestClient(denying, extensions=extensions) as client:
        with pytest.raises(WebSocketDenied) as denied:
            async with client.websocket_connect("/ws"):
                pass  # pragma: no cover
    if offered:
        assert denied.value.status == 401
        assert (b"www-authenticate", b"Bearer") in denied.value.headers
        assert denied.value.body == b"who are you?"
    else:  # the server answers a close before accept with 403
        assert (denied.value.status, denied.value.body) == (403, b"")


async def test_the_size_guard_closes_with_1009_and_the_client_is_told() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        ws = await Request(scope, receive, send).websocket_accept(max_message_size=8)
        async for message in ws:
            await ws.write(message)

    async with TestClient(app) as client, client.websocket_connect("/ws") as session:
        await session.send_text("small")
        assert await session.receive_text() == "small"
        await session.send_text("x" * 9)
        with pytest.raises(WebSocketClosed) as closed:
            await session.receive()
        assert (closed.value.code, closed.value.reason) == (1009, "message too big")


async def test_json_both_ways_and_an_app_close_ends_the_session() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        ws = await Request(scope, receive, send).websocket_accept()
        value = await ws.read_json()
        await ws.write_json({"got": value})
        await ws.close(4001, "done")

    async with TestClient(app) as client, client.websocket_connect("/ws") as session:
        await session.send_json([1, "é"])
        assert await session.receive_json() == {"got": [1, "é"]}
        with pytest.raises(WebSocketClosed) as closed:
            await session.receive()
        assert (closed.value.code, closed.value.reason) == (4001, "done")


class Room:
    """What a framework author tests: members talk, and everyone hears who left."""

    def __init__(self) -> None:
        self.members: set[WebSocket] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        ws = await request.websocket_accept()
        name = request.query["name"]
        self.members.add(ws)
        try:
            async for message in ws:
                await self.broadcast({"from": name, "text": message})
        finally:
            self.members.discard(ws)
            await self.broadcast({"left": name})

    async def broadcast(self, message: dict[str, Any]) -> None:
        for member in list(self.members):
            await member.write_json(message)


async def test_a_room_hears_who_left_after_the_close() -> None:
    room = Room()
    async with TestClient(room) as client:
        async with client.websocket_connect("/room?name=ann") as ann:
            async with client.websocket_connect("/room?name=bob") as bob:
                await bob.send_text("hi")
                assert await ann.receive_json() == {"from": "bob", "text": "hi"}
                assert await bob.receive_json() == {"from": "bob", "text": "hi"}
            # Leaving the block closed bob's socket and waited for his handler.
            assert await ann.receive_json() == {"left": "bob"}
            assert len(room.members) == 1
        assert room.members == set()
