"""Reading, writing, JSON, iteration, closing and the message-size guard."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from asgikit.errors import InvalidJSONError
from asgikit.requests import Request
from asgikit.testing import Channel
from asgikit.websockets import (
    COMPILED,
    DEFAULT_MAX_MESSAGE_SIZE,
    MessageTooBigError,
    MessageTypeError,
    WebSocket,
    WebSocketDisconnect,
    WebSocketProtocolError,
    WebSocketState,
    WebSocketStateError,
    accept,
)

Connect = Callable[..., tuple[Request, Channel]]


def text(value: str) -> dict[str, Any]:
    return {"type": "websocket.receive", "text": value}


def binary(value: bytes) -> dict[str, Any]:
    return {"type": "websocket.receive", "bytes": value}


async def opened(
    connect: Connect, *messages: dict[str, Any], **options: Any
) -> tuple[WebSocket, Channel]:
    request, channel = connect(*messages)
    ws = await accept(request, **options)
    channel.sent.clear()
    return ws, channel


# -- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (text("hello"), "hello"),
        (text(""), ""),
        (text("snow ☃ and 🎉"), "snow ☃ and 🎉"),
        (binary(b"\x00\xff"), b"\x00\xff"),
        (binary(b""), b""),
        # Servers may send both keys with the other one None (ASGI: exactly one is not None).
        ({"type": "websocket.receive", "text": "t", "bytes": None}, "t"),
        ({"type": "websocket.receive", "text": None, "bytes": b"b"}, b"b"),
    ],
)
async def test_read(connect: Connect, message: dict[str, Any], expected: str | bytes) -> None:
    ws, _ = await opened(connect, message)
    result = await ws.read()
    assert result == expected
    assert type(result) is type(expected)


async def test_receive_with_neither_text_nor_bytes_is_a_protocol_error(connect: Connect) -> None:
    ws, _ = await opened(connect, {"type": "websocket.receive", "text": None, "bytes": None})
    with pytest.raises(WebSocketProtocolError, match="neither"):
        await ws.read()


async def test_unexpected_message_type_is_a_protocol_error(connect: Connect) -> None:
    ws, _ = await opened(connect, {"type": "websocket.connect"})
    with pytest.raises(WebSocketProtocolError, match=r"'websocket\.connect'"):
        await ws.read()


@pytest.mark.parametrize(
    ("message", "code", "reason"),
    [
        ({"type": "websocket.disconnect"}, 1005, ""),  # "code" absent: 1005 per ASGI
        ({"type": "websocket.disconnect", "code": 1001}, 1001, ""),
        ({"type": "websocket.disconnect", "code": 4000, "reason": "bye"}, 4000, "bye"),
        ({"type": "websocket.disconnect", "code": 1000, "reason": None}, 1000, ""),
    ],
)
async def test_disconnect(
    connect: Connect, message: dict[str, Any], code: int, reason: str
) -> None:
    ws, channel = await opened(connect, message)
    with pytest.raises(WebSocketDisconnect) as info:
        await ws.read()
    assert (info.value.code, info.value.reason) == (code, reason)
    assert ws.state is WebSocketState.CLOSED
    assert (ws.close_code, ws.close_reason) == (code, reason)
    calls = channel.receive_calls
    # Every later read and write says the same, without touching receive or send.
    for action in (ws.read(), ws.write("x"), ws.read_text(), ws.write_json({})):
        with pytest.raises(WebSocketDisconnect) as again:
            await action
        assert (again.value.code, again.value.reason) == (code, reason)
    assert channel.receive_calls == calls
    await ws.close()  # idempotent, and nothing goes to a closed connection
    assert channel.sent == []


async def test_disconnect_through_the_channel_helper(connect: Connect) -> None:
    request, channel = connect()
    ws = await accept(request)
    channel.disconnect("websocket.disconnect", code=1001)
    with pytest.raises(WebSocketDisconnect) as info:
        await ws.read()
    assert info.value.code == 1001


# -- typed reads and JSON ------------------------------------------------------------------------


async def test_read_text_and_bytes(connect: Connect) -> None:
    ws, _ = await opened(connect, text(""), binary(b""))
    assert await ws.read_text() == ""
    assert await ws.read_bytes() == b""


async def test_read_text_refuses_bytes_and_stays_open(connect: Connect) -> None:
    ws, channel = await opened(connect, binary(b"x"), text("next"))
    with pytest.raises(MessageTypeError, match="expected a text message, got a bytes") as info:
        await ws.read_text()
    assert (info.value.expected, info.value.received) == ("text", "bytes")
    assert info.value.status_code == 400
    assert ws.state is WebSocketState.ACCEPTED
    assert await ws.read_text() == "next"
    assert channel.sent == []


async def test_read_bytes_refuses_text(connect: Connect) -> None:
    ws, _ = await opened(connect, text("x"))
    with pytest.raises(MessageTypeError, match="expected a bytes message, got a text"):
        await ws.read_bytes()


@pytest.mark.parametrize("frame", [text, binary])
async def test_read_json_from_text_or_bytes(connect: Connect, frame: Callable[[Any], Any]) -> None:
    payload = '{"a":[1,2.5,null,true],"b":"☃"}'
    ws, _ = await opened(connect, frame(payload if frame is text else payload.encode()))
    assert await ws.read_json() == {"a": [1, 2.5, None, True], "b": "☃"}


async def test_read_json_with_another_codec(connect: Connect) -> None:
    seen: list[str | bytes] = []

    def loads(data: str | bytes) -> Any:
        seen.append(data)
        return json.loads(data)

    ws, _ = await opened(connect, text("[1]"))
    assert await ws.read_json(loads=loads) == [1]
    assert seen == ["[1]"]


@pytest.mark.parametrize("message", [text(""), text("{"), text("NaN?"), binary(b"\xff\xfe{")])
async def test_read_json_refuses_what_is_not_json(
    connect: Connect, message: dict[str, Any]
) -> None:
    ws, _ = await opened(connect, message)
    with pytest.raises(InvalidJSONError, match="not valid JSON"):
        await ws.read_json()
    assert ws.state is WebSocketState.ACCEPTED


async def test_write_json_is_compact_text(connect: Connect) -> None:
    ws, channel = await opened(connect)
    await ws.write_json({"a": [1, "☃"]})
    await ws.write_json([1], binary=True)
    assert channel.sent == [
        {"type": "websocket.send", "text": '{"a":[1,"☃"]}'},
        {"type": "websocket.send", "bytes": b"[1]"},
    ]


async def test_write_json_refuses_nan(connect: Connect) -> None:
    ws, channel = await opened(connect)
    with pytest.raises(ValueError, match="JSON compliant"):
        await ws.write_json(float("nan"))
    assert channel.sent == []


async def test_write_json_with_a_bytes_codec(connect: Connect) -> None:
    ws, channel = await opened(connect)
    await ws.write_json({"x": 1}, dumps=lambda obj: json.dumps(obj).encode())
    await ws.write_json({"x": 2}, dumps=lambda obj: json.dumps(obj).encode(), binary=True)
    assert channel.sent == [
        {"type": "websocket.send", "text": '{"x": 1}'},
        {"type": "websocket.send", "bytes": b'{"x": 2}'},
    ]


# -- writing --------------------------------------------------------------------------------------


async def test_write_text_and_bytes(connect: Connect) -> None:
    ws, channel = await opened(connect)
    await ws.write("")
    await ws.write(b"")
    if COMPILED:  # the compiled write() takes what it declares: str or bytes
        for other in (bytearray(b"ba"), memoryview(b"mv")):
            with pytest.raises(TypeError, match="str, bytes"):
                await ws.write(other)  # type: ignore[arg-type]
        assert channel.sent == [
            {"type": "websocket.send", "text": ""},
            {"type": "websocket.send", "bytes": b""},
        ]
        return
    await ws.write(bytearray(b"ba"))  # type: ignore[arg-type]
    await ws.write(memoryview(b"mv"))  # type: ignore[arg-type]
    assert channel.sent == [
        {"type": "websocket.send", "text": ""},
        {"type": "websocket.send", "bytes": b""},
        {"type": "websocket.send", "bytes": b"ba"},
        {"type": "websocket.send", "bytes": b"mv"},
    ]
    assert all(type(m.get("bytes", b"")) is bytes for m in channel.sent)


async def test_write_str_subclass_goes_as_plain_text(connect: Connect) -> None:
    class Name(str):
        pass

    ws, channel = await opened(connect)
    await ws.write(Name("n"))
    assert channel.sent == [{"type": "websocket.send", "text": "n"}]
    assert type(channel.sent[0]["text"]) is str


@pytest.mark.parametrize("value", [1, None, ["x"], {"a": 1}])
async def test_write_refuses_other_types(connect: Connect, value: Any) -> None:
    ws, channel = await opened(connect)
    # The compiled build's own check of the declared type says "union[str, bytes]".
    with pytest.raises(TypeError, match="str, bytes" if COMPILED else "str or bytes"):
        await ws.write(value)
    assert channel.sent == []


async def test_send_failing_with_oserror_is_a_disconnect(connect: Connect) -> None:
    ws, channel = await opened(connect)
    channel.send_error = ConnectionResetError("peer gone")
    with pytest.raises(WebSocketDisconnect) as info:
        await ws.write("x")
    assert info.value.code == 1006
    assert isinstance(info.value.__cause__, ConnectionResetError)
    assert ws.state is WebSocketState.CLOSED
    channel.send_error = None
    with pytest.raises(WebSocketDisconnect):
        await ws.write("y")  # refused at once: not sent to a dead connection
    with pytest.raises(WebSocketDisconnect):
        await ws.read()
    await ws.close()
    assert channel.sent == []


async def test_other_send_errors_are_not_hidden(connect: Connect) -> None:
    ws, channel = await opened(connect)
    channel.send_error = RuntimeError("server bug")
    with pytest.raises(RuntimeError, match="server bug"):
        await ws.write("x")


# -- iteration ------------------------------------------------------------------------------------


async def test_async_iteration_ends_on_disconnect(connect: Connect) -> None:
    ws, _ = await opened(
        connect, text("a"), binary(b"b"), text(""), {"type": "websocket.disconnect", "code": 1001}
    )
    assert [message async for message in ws] == ["a", b"b", ""]
    assert ws.close_code == 1001
    assert [message async for message in ws] == []


async def test_async_iteration_ends_when_the_app_closes(connect: Connect) -> None:
    ws, _ = await opened(connect, text("a"), text("stop"), text("never read"))
    seen = []
    async for message in ws:
        seen.append(message)
        if message == "stop":
            await ws.close()
    assert seen == ["a", "stop"]


async def test_async_iteration_before_accept_is_a_state_error(connect: Connect) -> None:
    request, _ = connect()
    with pytest.raises(WebSocketStateError, match="not accepted"):
        async for _ in WebSocket(request):
            pass


# -- closing --------------------------------------------------------------------------------------


async def test_close_with_code_and_reason_is_idempotent(connect: Connect) -> None:
    ws, channel = await opened(connect)
    await ws.close(4001, "bye ☃")
    await ws.close()
    await ws.close(1011)
    assert channel.sent == [{"type": "websocket.close", "code": 4001, "reason": "bye ☃"}]
    assert (ws.close_code, ws.close_reason) == (4001, "bye ☃")
    with pytest.raises(WebSocketStateError, match=r"cannot write: .*closed it with code 4001"):
        await ws.write("x")
    with pytest.raises(WebSocketStateError, match=r"cannot read: .*CLOSED"):
        await ws.read()


async def test_close_to_a_gone_client_is_quiet(connect: Connect) -> None:
    ws, channel = await opened(connect)
    channel.send_error = OSError("gone")
    await ws.close()
    assert ws.state is WebSocketState.CLOSED


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000])
async def test_close_refuses_codes_an_endpoint_may_not_send(connect: Connect, code: int) -> None:
    ws, channel = await opened(connect)
    with pytest.raises(ValueError, match=f"close code {code}"):
        await ws.close(code)
    assert channel.sent == []
    assert ws.state is WebSocketState.ACCEPTED


@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999])
async def test_close_accepts_sendable_codes(connect: Connect, code: int) -> None:
    ws, channel = await opened(connect)
    await ws.close(code)
    assert channel.sent == [{"type": "websocket.close", "code": code, "reason": ""}]


async def test_close_reason_is_at_most_123_bytes(connect: Connect) -> None:
    ws, channel = await opened(connect)
    with pytest.raises(ValueError, match="124 bytes"):
        await ws.close(1000, "é" * 62)
    await ws.close(1000, "x" * 123)
    assert channel.sent[0]["reason"] == "x" * 123


async def test_reader_waiting_while_another_task_closes(connect: Connect) -> None:
    # A reader already waiting on receive() when another task closes gets what the server
    # hands it next: the disconnect that ends the closing handshake.
    request, channel = connect()
    entered = asyncio.Event()

    async def receive() -> Any:
        entered.set()
        return await channel.receive()

    ws = await accept(Request(request.scope, receive, channel.send))
    entered.clear()
    task = asyncio.ensure_future(ws.read())
    await entered.wait()
    await WebSocket(request).close(4000, "done")
    channel.disconnect("websocket.disconnect", code=4000, reason="done")
    with pytest.raises(WebSocketDisconnect) as info:
        await task
    assert info.value.code == 4000
    assert (ws.close_code, ws.close_reason) == (4000, "done")
    with pytest.raises(WebSocketStateError, match="closed it with code 4000"):
        await ws.read()


# -- the size guard -------------------------------------------------------------------------------


LIMIT = 64


@pytest.mark.parametrize(
    ("message", "ok"),
    [
        (text("x" * LIMIT), True),
        (text("x" * (LIMIT + 1)), False),
        (text("é" * (LIMIT // 2)), True),  # 2 bytes each in UTF-8: exactly the limit
        (text("é" * (LIMIT // 2) + "x"), False),  # 33 characters, 65 bytes
        (text("🎉" * (LIMIT // 4)), True),
        (text("🎉" * (LIMIT // 4) + "x"), False),
        (binary(b"x" * LIMIT), True),
        (binary(b"x" * (LIMIT + 1)), False),
    ],
)
async def test_size_guard_counts_utf8_bytes(
    connect: Connect, message: dict[str, Any], ok: bool
) -> None:
    ws, channel = await opened(connect, message, max_message_size=LIMIT)
    if ok:
        assert len(await ws.read()) > 0
        assert channel.sent == []
        return
    with pytest.raises(MessageTooBigError) as info:
        await ws.read()
    assert info.value.limit == LIMIT
    assert info.value.option == "max_message_size"
    assert info.value.size == LIMIT + 1
    assert f"max_message_size={LIMIT}" in str(info.value)
    # Closed with 1009 before raising: closed even if the error is not handled.
    assert channel.sent == [{"type": "websocket.close", "code": 1009, "reason": "message too big"}]
    assert ws.state is WebSocketState.CLOSED
    assert ws.close_code == 1009
    # A disconnect: the seed's `except WebSocketDisconnect` ends the loop (issue 10).
    assert isinstance(info.value, WebSocketDisconnect)
    assert (info.value.code, info.value.reason) == (1009, "message too big")


@pytest.mark.parametrize("size", [DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_MESSAGE_SIZE + 1])
async def test_size_guard_by_default(connect: Connect, size: int) -> None:
    ws, channel = await opened(connect, binary(b"x" * size))
    if size <= DEFAULT_MAX_MESSAGE_SIZE:
        assert len(await ws.read()) == size
        return
    with pytest.raises(MessageTooBigError) as info:
        await ws.read()
    assert info.value.limit == DEFAULT_MAX_MESSAGE_SIZE
    assert channel.sent[-1]["code"] == 1009


@pytest.mark.parametrize("reader", ["read", "read_text", "read_bytes", "read_json"])
async def test_size_guard_on_every_read(connect: Connect, reader: str) -> None:
    big = "[" + "1," * 40 + "1]"
    message = binary(big.encode()) if reader == "read_bytes" else text(big)
    ws, channel = await opened(connect, message, max_message_size=LIMIT)
    with pytest.raises(MessageTooBigError):
        await getattr(ws, reader)()
    assert channel.sent[-1]["code"] == 1009


async def test_size_guard_ends_iteration_cleanly(connect: Connect) -> None:
    """Iteration ends as on any disconnect; ``close_code`` tells why (issue 10)."""
    ws, channel = await opened(
        connect, text("ok"), text("x" * 100), text("never read"), max_message_size=LIMIT
    )
    seen = [message async for message in ws]
    assert seen == ["ok"]
    assert (ws.close_code, ws.close_reason) == (1009, "message too big")
    assert channel.sent == [{"type": "websocket.close", "code": 1009, "reason": "message too big"}]
    assert [message async for message in ws] == []


async def seed_echo(ws: WebSocket) -> None:
    """The seed's echo loop, as the README and the package docstring write it."""
    while True:
        try:
            message = await ws.read()
            await ws.write(message)
        except WebSocketDisconnect:
            break


@pytest.mark.parametrize("big", [text("é" * 33), binary(b"x" * 65)])
async def test_size_guard_ends_the_seed_echo_loop_cleanly(
    connect: Connect, big: dict[str, Any]
) -> None:
    """Issue 10: MessageTooBigError escaped this loop, and servers logged "Exception in
    ASGI application". The loop must simply return after the 1009 close."""
    ws, channel = await opened(connect, text("a"), big, text("never read"), max_message_size=LIMIT)
    await seed_echo(ws)  # returns: nothing escapes
    assert channel.sent == [
        {"type": "websocket.send", "text": "a"},
        {"type": "websocket.close", "code": 1009, "reason": "message too big"},
    ]


@pytest.mark.parametrize("action", ["read", "write", "accept"])
async def test_after_the_size_guard_every_call_is_a_1009_disconnect(
    connect: Connect, action: str
) -> None:
    """As after a client's close: a task writing while another reads ends cleanly
    whichever notices first, and nothing more reaches send or receive."""
    ws, channel = await opened(connect, text("x" * 100), text("never read"), max_message_size=LIMIT)
    with pytest.raises(MessageTooBigError):
        await ws.read()
    sent = list(channel.sent)
    calls = channel.receive_calls
    for _ in range(2):  # the same every time
        with pytest.raises(WebSocketDisconnect) as info:
            if action == "read":
                await ws.read()
            elif action == "write":
                await ws.write("late")
            else:
                await ws.accept()
        assert (info.value.code, info.value.reason) == (1009, "message too big")
    assert (channel.sent, channel.receive_calls) == (sent, calls)


async def test_a_writer_task_ends_cleanly_when_the_reader_hits_the_guard(
    connect: Connect,
) -> None:
    ws, channel = await opened(connect, max_message_size=LIMIT)
    reader_done = asyncio.Event()

    async def reader() -> None:
        await seed_echo(ws)
        reader_done.set()

    async def writer() -> int:
        written = 0
        while True:
            try:
                await ws.write("tick")
            except WebSocketDisconnect:
                return written
            written += 1
            if written == 1:
                channel.push(text("x" * 100))
            await reader_done.wait()

    _, written = await asyncio.gather(reader(), writer())
    assert written == 1


async def test_default_limit_is_one_mebibyte(connect: Connect) -> None:
    ws, _ = await opened(connect, binary(b"x" * (1 << 20)), binary(b"x" * ((1 << 20) + 1)))
    assert ws.max_message_size == 1 << 20
    assert len(await ws.read()) == 1 << 20
    with pytest.raises(MessageTooBigError):
        await ws.read()


async def test_no_limit_and_changing_it(connect: Connect) -> None:
    ws, _ = await opened(connect, binary(b"x" * 3_000_000), text("abcd"), max_message_size=None)
    assert ws.max_message_size is None
    assert len(await ws.read()) == 3_000_000
    ws.max_message_size = 3
    assert ws.max_message_size == 3
    with pytest.raises(MessageTooBigError):
        await ws.read()


async def test_negative_limit_is_refused(connect: Connect) -> None:
    request, channel = connect()
    with pytest.raises(ValueError, match="max_message_size"):
        await accept(request, max_message_size=-1)
    assert channel.sent == []


async def test_too_big_to_a_gone_client_still_raises(connect: Connect) -> None:
    ws, channel = await opened(connect, text("x" * 10), max_message_size=5)
    channel.send_error = OSError("gone")
    with pytest.raises(MessageTooBigError):
        await ws.read()
    assert ws.state is WebSocketState.CLOSED


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 50_000])
async def test_read_json_refuses_json_nested_too_deeply(connect: Connect, text: str) -> None:
    ws, _ = await opened(connect, {"type": "websocket.receive", "text": text})
    with pytest.raises(InvalidJSONError, match="nested too deeply"):
        await ws.read_json()
    assert ws.state is WebSocketState.ACCEPTED
