"""Accepting, refusing and denying the handshake; the connection seen through Request."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from asgikit.asgi import Message
from asgikit.errors import HeaderValueError
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope, websocket_scope
from asgikit.websockets import (
    COMPILED,
    AcceptOptions,
    WebSocket,
    WebSocketDisconnect,
    WebSocketProtocolError,
    WebSocketState,
    WebSocketStateError,
    accept,
    deny,
)

DENIAL: dict[str, dict[str, object]] = {"websocket.http.response": {}}
Connect = Callable[..., tuple[Request, Channel]]


def text(value: str) -> dict[str, Any]:
    return {"type": "websocket.receive", "text": value}


async def test_seed_example_echoes_until_disconnect(connect: Connect) -> None:
    request, channel = connect(
        text("hello"),
        {"type": "websocket.receive", "bytes": b"\x00\x01"},
        text(""),
        {"type": "websocket.disconnect", "code": 1000},
    )
    ws = await request.websocket_accept()
    while True:
        try:
            message = await ws.read()
            await ws.write(message)
        except WebSocketDisconnect:
            break
    assert channel.sent == [
        {"type": "websocket.accept", "subprotocol": None},
        {"type": "websocket.send", "text": "hello"},
        {"type": "websocket.send", "bytes": b"\x00\x01"},
        {"type": "websocket.send", "text": ""},
    ]
    assert ws.state is WebSocketState.CLOSED
    assert ws.close_code == 1000


async def test_accept_takes_the_connect_message_then_accepts(connect: Connect) -> None:
    request, channel = connect()
    ws = await accept(request)
    assert channel.receive_calls == 1
    assert channel.sent == [{"type": "websocket.accept", "subprotocol": None}]
    assert ws.state is WebSocketState.ACCEPTED
    assert ws.request is request


async def test_accept_with_subprotocol_and_headers(connect: Connect) -> None:
    request, channel = connect(subprotocols=["chat.v1", "chat.v2"])
    ws = await accept(request, subprotocol="chat.v2", headers={"X-Server": "asgikit"})
    assert ws.subprotocols == ("chat.v1", "chat.v2")
    assert ws.subprotocol == "chat.v2"
    assert channel.sent == [
        {
            "type": "websocket.accept",
            "subprotocol": "chat.v2",
            "headers": [(b"x-server", b"asgikit")],
        }
    ]


async def test_accept_headers_as_pairs_keep_duplicates(connect: Connect) -> None:
    request, channel = connect()
    await accept(request, headers=[("set-cookie", "a=1"), ("set-cookie", "b=2")])
    assert channel.sent[0]["headers"] == [(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")]


async def test_request_websocket_accept_passes_options(connect: Connect) -> None:
    request, channel = connect(subprotocols=["v1"])
    options: AcceptOptions = {"subprotocol": "v1", "headers": {"x-a": "b"}, "max_message_size": 10}
    assert set(options) == AcceptOptions.__optional_keys__
    ws = await request.websocket_accept(**options)
    assert isinstance(ws, WebSocket)
    assert ws.subprotocol == "v1"
    assert ws.max_message_size == 10
    assert channel.sent[0]["headers"] == [(b"x-a", b"b")]


# Each "# type: ignore[...]" below asserts a type error as well: the tests are checked by
# mypy --strict, whose warn_unused_ignores fails the run if mypy no longer sees it.
async def test_a_misspelled_option_is_a_type_error_and_a_typeerror(connect: Connect) -> None:
    request, channel = connect(subprotocols=["v1"])
    unexpected = r"^accept\(\) got an unexpected keyword argument 'subprotocols'$"
    with pytest.raises(TypeError, match=unexpected):
        await request.websocket_accept(subprotocols="v1")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=unexpected):
        await accept(request, subprotocols="v1")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=unexpected):
        await WebSocket(request).accept(subprotocols="v1")  # type: ignore[call-arg]
    with pytest.raises(HeaderValueError):
        await accept(request, subprotocol=1)  # type: ignore[arg-type]
    assert (channel.receive_calls, channel.sent) == (0, [])


async def test_subprotocol_not_offered_is_refused_before_anything_is_sent(
    connect: Connect,
) -> None:
    request, channel = connect(subprotocols=["a"])
    with pytest.raises(HeaderValueError, match=r"'b'.*offered \['a'\]"):
        await accept(request, subprotocol="b")
    assert channel.sent == []
    assert channel.receive_calls == 0
    ws = await accept(request, subprotocol="a")  # still NEW: a valid accept works
    assert ws.subprotocol == "a"


async def test_missing_subprotocols_key_means_none_offered() -> None:
    channel = Channel([{"type": "websocket.connect"}])
    scope = {"type": "websocket", "path": "/", "headers": []}  # optional keys absent
    ws = WebSocket(Request(scope, channel.receive, channel.send))
    assert ws.subprotocols == ()
    with pytest.raises(HeaderValueError):
        await ws.accept(subprotocol="x")
    await ws.accept()
    assert ws.state is WebSocketState.ACCEPTED


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-websocket-protocol": "chat"},
        {"Sec-WebSocket-Extensions": "permessage-deflate"},
        {"bad name": "x"},
        {"x-ok": "bad\r\nvalue"},
        {"x-ok": "nul\x00"},
        {"x-ok": "snow☃"},
    ],
)
async def test_invalid_accept_headers_are_refused(
    connect: Connect, headers: dict[str, str]
) -> None:
    request, channel = connect()
    with pytest.raises(HeaderValueError):
        await accept(request, headers=headers)
    assert channel.sent == []


async def test_client_gone_during_handshake(connect: Connect) -> None:
    request, channel = connect({"type": "websocket.disconnect", "code": 1006}, handshake=False)
    with pytest.raises(WebSocketDisconnect) as info:
        await accept(request)
    assert info.value.code == 1006
    assert channel.sent == []
    ws = WebSocket(request)
    assert ws.state is WebSocketState.CLOSED
    with pytest.raises(WebSocketDisconnect):
        await ws.read()


async def test_accept_after_the_client_left_is_a_disconnect(connect: Connect) -> None:
    """As its docstring says: not a WebSocketStateError once the client is gone."""
    request, _ = connect({"type": "websocket.disconnect", "code": 1001}, handshake=False)
    with pytest.raises(WebSocketDisconnect):
        await accept(request)
    with pytest.raises(WebSocketDisconnect) as info:
        await accept(request)
    assert info.value.code == 1001
    denied, _ = connect(extensions=DENIAL)
    await deny(denied)
    with pytest.raises(WebSocketStateError, match=r"cannot accept: .*CLOSED"):
        await accept(denied)


async def test_sec_websocket_headers_are_named_in_the_error(connect: Connect) -> None:
    request, channel = connect()
    with pytest.raises(HeaderValueError, match=r"'sec-websocket-protocol'.*subprotocol="):
        await accept(request, headers=[("x-a", "1"), ("Sec-WebSocket-Protocol", "v1")])
    assert channel.sent == []


async def test_unexpected_message_instead_of_connect(connect: Connect) -> None:
    request, channel = connect(text("too early"), handshake=False)
    with pytest.raises(WebSocketProtocolError, match=r"websocket\.connect"):
        await accept(request)
    assert channel.sent == []


async def test_accept_send_failing_is_a_disconnect(connect: Connect) -> None:
    request, channel = connect()
    channel.send_error = OSError("gone")
    with pytest.raises(WebSocketDisconnect) as info:
        await accept(request)
    assert info.value.code == 1006
    assert isinstance(info.value.__cause__, OSError)
    assert WebSocket(request).state is WebSocketState.CLOSED


async def test_accept_twice_is_a_state_error(connect: Connect) -> None:
    request, channel = connect()
    await accept(request)
    with pytest.raises(WebSocketStateError, match=r"cannot accept: .*ACCEPTED"):
        await accept(request)
    assert len(channel.sent) == 1


async def test_websocket_over_http_scope_is_refused() -> None:
    channel = Channel()
    request = Request(http_scope(), channel.receive, channel.send)
    with pytest.raises(WebSocketStateError, match="'http' scope"):
        WebSocket(request)


async def test_two_requests_over_one_scope_share_the_connection(connect: Connect) -> None:
    request, _ = connect(text("hi"))
    other = Request(request.scope, request.receive, request.send)
    assert WebSocket(other).state is WebSocketState.NEW
    await accept(request)
    ws = WebSocket(other)
    assert ws.state is WebSocketState.ACCEPTED
    with pytest.raises(WebSocketStateError):
        await other.websocket_accept()
    assert await ws.read() == "hi"
    await ws.close()
    assert WebSocket(request).state is WebSocketState.CLOSED
    assert request.extras["asgikit-websockets"] is other.extras["asgikit-websockets"]


async def test_each_view_uses_its_own_requests_send(connect: Connect) -> None:
    request, channel = connect()
    await accept(request)
    wrapped: list[object] = []

    async def logging_send(message: object) -> None:
        wrapped.append(message)

    other = Request(request.scope, request.receive, logging_send)
    await WebSocket(other).write("via the wrapper")
    assert wrapped == [{"type": "websocket.send", "text": "via the wrapper"}]
    assert len(channel.sent) == 1


async def test_handshake_details_through_the_request(connect: Connect) -> None:
    request, _ = connect(
        path="/rooms/1",
        query_string=b"token=abc&x=1&x=2",
        headers=[("cookie", "session=s1; theme=dark"), ("origin", "https://example.com")],
    )
    ws = await accept(request)
    assert ws.request.path == "/rooms/1"
    assert ws.request.query["token"] == "abc"
    assert ws.request.query.get_all("x") == ["1", "2"]
    assert ws.request.cookies["session"] == "s1"
    assert ws.request.headers["origin"] == "https://example.com"
    assert repr(ws) == "<WebSocket /rooms/1 ACCEPTED>"


# -- refusing ------------------------------------------------------------------------------


async def test_close_before_accept_rejects_the_handshake(connect: Connect) -> None:
    request, channel = connect()
    ws = WebSocket(request)
    await ws.close()
    assert channel.sent == [{"type": "websocket.close", "code": 1000, "reason": ""}]
    assert ws.state is WebSocketState.CLOSED
    assert ws.close_code is None  # no connection was ever open
    with pytest.raises(WebSocketStateError, match="refused the handshake"):
        await ws.read()
    with pytest.raises(WebSocketStateError):
        await ws.accept()


async def test_deny_with_the_extension_sends_an_http_response(connect: Connect) -> None:
    request, channel = connect(extensions=DENIAL)
    sent_response = await deny(
        request,
        401,
        headers={"www-authenticate": "Bearer", "content-type": "text/plain"},
        body=b"who are you?",
    )
    assert sent_response is True
    assert channel.sent == [
        {
            "type": "websocket.http.response.start",
            "status": 401,
            "headers": [(b"www-authenticate", b"Bearer"), (b"content-type", b"text/plain")],
        },
        {"type": "websocket.http.response.body", "body": b"who are you?", "more_body": False},
    ]
    ws = WebSocket(request)
    assert ws.state is WebSocketState.CLOSED
    with pytest.raises(WebSocketStateError):
        await ws.write("x")


async def test_deny_without_the_extension_closes(connect: Connect) -> None:
    request, channel = connect(extensions={})
    assert await deny(request, 401, body=b"ignored") is False
    assert channel.sent == [{"type": "websocket.close", "code": 1000, "reason": ""}]


async def test_deny_after_accept_is_a_state_error(connect: Connect) -> None:
    request, channel = connect(extensions=DENIAL)
    await accept(request)
    with pytest.raises(WebSocketStateError, match="cannot deny"):
        await deny(request)
    assert len(channel.sent) == 1


async def test_deny_once_closed_does_nothing(connect: Connect) -> None:
    request, channel = connect(extensions=DENIAL)
    assert await deny(request) is True
    assert await deny(request) is False
    assert len(channel.sent) == 2


@pytest.mark.parametrize("status", [101, 199, 600, 0, True, 403.0, "403", None])
async def test_deny_refuses_bad_statuses(connect: Connect, status: Any) -> None:
    request, channel = connect(extensions=DENIAL)
    # The compiled build checks the declared type (int) first: a float, str or None
    # (refused by a type checker) gets its TypeError there.
    if COMPILED and type(status) not in (int, bool):
        expected: tuple[type[Exception], str] = (TypeError, "int object expected")
    else:
        expected = (HeaderValueError, r"invalid (denial )?status")
    with pytest.raises(expected[0], match=expected[1]):
        await deny(request, status)
    assert channel.sent == []
    assert WebSocket(request).state is WebSocketState.NEW


async def test_deny_refuses_bad_headers(connect: Connect) -> None:
    request, channel = connect(extensions=DENIAL)
    with pytest.raises(HeaderValueError):
        await deny(request, headers={"x": "a\nb"})
    assert channel.sent == []
    assert WebSocket(request).state is WebSocketState.NEW


async def test_deny_to_a_gone_client_is_quiet(connect: Connect) -> None:
    request, channel = connect(extensions=DENIAL)
    channel.send_error = OSError("gone")
    assert await deny(request) is False
    assert WebSocket(request).state is WebSocketState.CLOSED


@pytest.mark.parametrize("second", ["accept", "deny", "close"])
async def test_a_concurrent_handshake_answer_is_refused_while_accept_runs(second: str) -> None:
    # accept() waits for websocket.connect; meanwhile another task answers too.
    waiting, arrived = asyncio.Event(), asyncio.Event()
    sent: list[Message] = []

    async def receive() -> Message:
        waiting.set()
        await arrived.wait()
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    request = Request(websocket_scope("/ws", extensions=DENIAL), receive, send)
    first = asyncio.ensure_future(accept(request))
    await waiting.wait()
    ws = WebSocket(request)
    answers: dict[str, Callable[[], Awaitable[object]]] = {
        "accept": ws.accept,
        "deny": ws.deny,
        "close": ws.close,
    }
    answer = answers[second]
    with pytest.raises(WebSocketStateError, match=f"cannot {second}: accept.. is answering"):
        await answer()
    arrived.set()
    assert (await first).state is WebSocketState.ACCEPTED
    assert [m["type"] for m in sent] == ["websocket.accept"]


@pytest.mark.skipif(
    COMPILED, reason="a compiled coroutine method is not an inspect coroutine function"
)
def test_every_public_websocket_method_is_async() -> None:
    methods = {
        name: member
        for name, member in vars(WebSocket).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }
    assert {"accept", "read", "write", "write_json", "close"} <= set(methods)
    for name, member in methods.items():
        assert inspect.iscoroutinefunction(member), name
