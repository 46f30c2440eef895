"""WebSockets: handshake (accepted or denied), messages of every kind, close codes both
ways, and the handler's work after a client close."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from asgikit import websockets
from asgikit.asgi import Message, Receive, Scope, Send
from asgikit.requests import Request
from asgikit.testclient import (
    SEND_BUFFER_MESSAGES,
    AppTimeoutError,
    ClientGoneError,
    ProtocolViolationError,
    TestClient,
    WebSocketClosed,
    WebSocketDenied,
)
from asgikit.websockets import WebSocketDisconnect


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    offered = request.scope["subprotocols"]
    ws = await request.websocket_accept(
        subprotocol="chat.v2" if "chat.v2" in offered else None, headers={"x-server": "yes"}
    )
    async for message in ws:
        if message == "close":
            await ws.close(4001, "asked to")
            return
        await ws.write(message)


async def test_accept_negotiates_and_messages_of_every_kind_echo() -> None:
    async with (
        TestClient(echo) as client,
        client.websocket_connect(
            "/ws", subprotocols=["chat.v1", "chat.v2"], headers={"x-token": "t"}
        ) as ws,
    ):
        assert ws.subprotocol == "chat.v2"
        assert (b"x-server", b"yes") in ws.headers
        await ws.send_text("")
        assert await ws.receive_text() == ""
        await ws.send_bytes(b"\x00\x01")
        assert await ws.receive_bytes() == b"\x00\x01"
        await ws.send_json({"a": [1, "é"]})
        assert await ws.receive_json() == {"a": [1, "é"]}
        await ws.send_text("close")
        with pytest.raises(WebSocketClosed) as closed:
            await ws.receive()
        assert (closed.value.code, closed.value.reason) == (4001, "asked to")
        assert (ws.close_code, ws.close_reason) == (4001, "asked to")
        with pytest.raises(WebSocketClosed):
            await ws.send_text("after")


async def test_the_websocket_scope_is_complete() -> None:
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)
        await receive()
        await send({"type": "websocket.accept"})

    async with (
        TestClient(app, root_path="/api") as client,
        client.websocket_connect(
            "/ws?room=1", subprotocols=["a", "b"], headers=[("x-list", "1"), ("x-list", "2")]
        ),
    ):
        pass
    scope = scopes[0]
    assert scope["type"] == "websocket"
    assert scope["scheme"] == "ws"
    assert scope["path"] == "/ws" and scope["query_string"] == b"room=1"
    assert scope["root_path"] == "/api"
    assert scope["subprotocols"] == ["a", "b"]
    headers = dict(scope["headers"])
    assert headers[b"upgrade"] == b"websocket"
    assert headers[b"sec-websocket-protocol"] == b"a, b"
    assert [v for n, v in scope["headers"] if n == b"x-list"] == [b"1", b"2"]
    assert "websocket.http.response" in scope["extensions"]
    assert scope["asgi"]["spec_version"] == "2.4"


async def deny(scope: Scope, receive: Receive, send: Send) -> None:
    denied = await websockets.deny(
        Request(scope, receive, send),
        401,
        body=b"token needed",
        headers={"www-authenticate": "Bearer"},
    )
    assert denied is ("websocket.http.response" in scope["extensions"])


async def test_a_denial_response_carries_status_headers_and_body() -> None:
    async with TestClient(deny) as client:
        with pytest.raises(WebSocketDenied) as denied:
            async with client.websocket_connect("/ws"):
                pass  # pragma: no cover
    assert denied.value.status == 401
    assert (b"www-authenticate", b"Bearer") in denied.value.headers
    assert denied.value.body == b"token needed"


async def test_without_the_extension_a_denial_is_403() -> None:
    async with TestClient(deny, extensions={}) as client:
        with pytest.raises(WebSocketDenied) as denied:
            async with client.websocket_connect("/ws"):
                pass  # pragma: no cover
    assert (denied.value.status, denied.value.body) == (403, b"")


async def test_a_handler_that_returns_without_answering_is_denied() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()

    async with TestClient(app) as client:
        with pytest.raises(WebSocketDenied) as denied:
            async with client.websocket_connect("/ws"):
                pass  # pragma: no cover
    assert denied.value.status == 403


class Room:
    """A chat room: every member gets what anyone says, and "left" when one leaves."""

    def __init__(self) -> None:
        self.members: set[Any] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ws = await Request(scope, receive, send).websocket_accept()
        name = scope["query_string"].decode()
        self.members.add(ws)
        try:
            async for message in ws:
                await self.broadcast(f"{name}: {message!s}")
        finally:
            self.members.discard(ws)
            # The work after the close: an await, then a broadcast.
            await asyncio.sleep(0)
            await self.broadcast(f"{name} left")

    async def broadcast(self, text: str) -> None:
        for member in list(self.members):
            await member.write(text)


async def test_the_handler_finishes_its_work_after_the_client_closes() -> None:
    room = Room()
    async with TestClient(room) as client, client.websocket_connect("/room?ann") as ann:
        async with client.websocket_connect("/room?bob") as bob:
            await bob.send_text("hi")
            assert await ann.receive_text() == "bob: hi"
            assert await bob.receive_text() == "bob: hi"
            await bob.close(4000, "going home")
            assert (bob.close_code, bob.close_reason) == (4000, "going home")
        assert await ann.receive_text() == "bob left"


async def test_the_close_code_and_reason_reach_the_handler() -> None:
    seen: list[tuple[int, str]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        ws = await Request(scope, receive, send).websocket_accept()
        try:
            await ws.read()
        except WebSocketDisconnect as exc:
            seen.append((exc.code, exc.reason))

    async with TestClient(app) as client, client.websocket_connect("/") as ws:
        await ws.close(4321, "done")
    assert seen == [(4321, "done")]


async def test_a_receive_times_out_with_what_the_app_sent() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        ws = await Request(scope, receive, send).websocket_accept()
        await ws.write("only one")
        async for _ in ws:
            pass

    async with TestClient(app) as client, client.websocket_connect("/") as ws:
        assert await ws.receive_text() == "only one"
        with pytest.raises(AppTimeoutError) as timeout:
            await ws.receive_text(timeout=0.01)
    message = str(timeout.value)
    assert "the app sent no websocket message within 0.01 s" in message
    assert "'only one'" in message and "websocket.accept" in message


async def test_a_handler_that_ignores_the_close_fails_the_test_bounded() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await asyncio.Event().wait()

    async with TestClient(app, timeout=0.01) as client:
        with pytest.raises(AppTimeoutError, match="the websocket handler did not return"):
            async with client.websocket_connect("/"):
                pass


async def test_a_handler_error_is_raised_on_close() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        raise LookupError("after close")

    async with TestClient(app) as client:
        with pytest.raises(LookupError, match="after close"):
            async with client.websocket_connect("/"):
                pass


async def test_a_handler_that_returns_closes_with_1000_and_receive_says_so() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "bytes": b"x"})

    async with TestClient(app) as client, client.websocket_connect("/") as ws:
        assert await ws.receive_bytes() == b"x"
        with pytest.raises(WebSocketClosed) as closed:
            await ws.receive()
        assert closed.value.code == 1000
        with pytest.raises(WebSocketClosed):
            await ws.receive()


async def test_wrong_messages_are_protocol_violations() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.send", "text": "before accept"})

    async with TestClient(app) as client:
        with pytest.raises(ProtocolViolationError, match=re.escape("but got 'websocket.send'")):
            async with client.websocket_connect("/"):
                pass  # pragma: no cover

    async def text_only(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "t"})
        await send({"type": "websocket.send", "bytes": b"b"})
        await receive()

    async with TestClient(text_only) as client, client.websocket_connect("/") as ws:
        with pytest.raises(ProtocolViolationError, match="expected a bytes message"):
            await ws.receive_bytes()
        with pytest.raises(ProtocolViolationError, match="expected a text message"):
            await ws.receive_text()


async def test_sends_after_the_close_raise_under_2_4_and_are_dropped_under_2_3() -> None:
    results: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        message: Message = await receive()
        assert message["type"] == "websocket.disconnect"
        try:
            await send({"type": "websocket.send", "text": "late"})
            results.append("dropped")
        except OSError:
            results.append("raised")

    for version in ("2.4", "2.3"):
        async with TestClient(app, spec_version=version) as client, client.websocket_connect("/"):
            pass
    assert results == ["raised", "dropped"]


async def test_a_denial_body_in_parts_and_an_unfinished_denial() -> None:
    async def parts(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 400, "headers": []})
        await send({"type": "websocket.http.response.body", "body": b"a", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"b"})

    async def unfinished(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 400, "headers": []})
        await send({"type": "websocket.http.response.body", "body": b"a", "more_body": True})

    async def accept_while_denying(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 400, "headers": []})
        await send({"type": "websocket.accept"})

    async with TestClient(parts) as client:
        with pytest.raises(WebSocketDenied) as denied:
            async with client.websocket_connect("/"):
                pass  # pragma: no cover
        assert (denied.value.status, denied.value.body) == (400, b"ab")
    async with TestClient(unfinished) as client:
        with pytest.raises(ProtocolViolationError, match="before its denial body ended"):
            async with client.websocket_connect("/"):
                pass  # pragma: no cover
    async with TestClient(accept_while_denying) as client:
        with pytest.raises(
            ProtocolViolationError,
            match=re.escape("websocket.http.response.body, but got 'websocket.accept'"),
        ):
            async with client.websocket_connect("/"):
                pass  # pragma: no cover


async def test_after_the_close_every_receive_says_disconnect_and_a_late_send_is_not_raised() -> (
    None
):
    seen: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        seen.append(await receive())
        seen.append(await receive())
        # Uncaught: the client had closed, so close() does not re-raise it.
        await send({"type": "websocket.send", "text": "late"})

    async with TestClient(app) as client, client.websocket_connect("/") as ws:
        await ws.close(1001)
    assert seen == [{"type": "websocket.disconnect", "code": 1001, "reason": ""}] * 2


async def test_a_flooding_handler_is_held_to_the_buffer_and_released_by_the_close() -> None:
    returned = 0
    raised: list[BaseException] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal returned
        await receive()
        await send({"type": "websocket.accept"})
        try:
            while True:
                await send({"type": "websocket.send", "text": "x"})
                returned += 1
                await asyncio.sleep(0)  # a turn for the loop
        except ClientGoneError as exc:
            raised.append(exc)

    async with TestClient(app) as client, client.websocket_connect("/") as ws:
        for _ in range(4 * SEND_BUFFER_MESSAGES):
            await asyncio.sleep(0)  # turns for the handler, no wall clock
        assert returned == SEND_BUFFER_MESSAGES  # unread, then its send() waits
        assert await ws.receive_text() == "x"
        for _ in range(4 * SEND_BUFFER_MESSAGES):
            await asyncio.sleep(0)
        assert returned == SEND_BUFFER_MESSAGES + 1
    # The close released its waiting send(), which raised: the handler returned.
    assert len(raised) == 1


async def test_a_handler_that_kicks_the_user_wakes_its_own_reader() -> None:
    """The app closes while its reader task is waiting in receive(): as after a real
    close handshake, that receive() returns websocket.disconnect with the app's code."""
    seen: list[Message] = []
    last_straw = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})

        async def reader() -> None:
            while (message := await receive())["type"] != "websocket.disconnect":
                seen.append(message)
                last_straw.set()
            seen.append(message)

        task = asyncio.create_task(reader())
        await send({"type": "websocket.send", "text": "you are kicked"})
        await last_straw.wait()  # the reader is back in receive() when the close goes
        await send({"type": "websocket.close", "code": 4000, "reason": "kicked"})
        await task

    async with TestClient(app, timeout=1) as client, client.websocket_connect("/") as ws:
        assert await ws.receive_text() == "you are kicked"
        await ws.send_text("bye")
        with pytest.raises(WebSocketClosed) as closed:
            await ws.receive()
        assert (closed.value.code, closed.value.reason) == (4000, "kicked")
    assert seen == [
        {"type": "websocket.receive", "text": "bye"},
        {"type": "websocket.disconnect", "code": 4000, "reason": "kicked"},
    ]
