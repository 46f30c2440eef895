"""A lone surrogate in websocket JSON: refused when read (InvalidJSONError, RFC 8259
§8.2, RFC 7493 §2.1), escaped when written, so a relay never hands the server text that
cannot be UTF-8."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.errors import InvalidJSONError
from asgikit.requests import Request
from asgikit.testing import Channel, websocket_scope
from asgikit.websockets import WebSocket, accept

Connect = Callable[..., tuple[Request, Channel]]

any_text = st.lists(st.one_of(st.characters(), st.characters(categories=["Cs"]))).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


async def opened(connect: Connect, *messages: dict[str, Any]) -> tuple[WebSocket, Channel]:
    request, channel = connect(*messages)
    ws = await accept(request)
    channel.sent.clear()
    return ws, channel


@pytest.mark.parametrize(
    "message",
    [
        {"type": "websocket.receive", "text": '"\\ud800"'},
        {"type": "websocket.receive", "text": '{"\\udfff": 1}'},
        {"type": "websocket.receive", "bytes": b'["\\ud83d"]'},
        {"type": "websocket.receive", "bytes": b'"\xed\xa0\x80"'},
    ],
)
async def test_read_json_refuses_a_lone_surrogate(
    connect: Connect, message: dict[str, Any]
) -> None:
    ws, _ = await opened(connect, message)
    with pytest.raises(InvalidJSONError, match="surrogate"):
        await ws.read_json()


async def test_read_json_keeps_a_pair(connect: Connect) -> None:
    ws, _ = await opened(connect, {"type": "websocket.receive", "text": '"\\ud83d\\ude00"'})
    assert await ws.read_json() == "😀"


async def test_write_json_escapes_a_lone_surrogate(connect: Connect) -> None:
    ws, channel = await opened(connect)
    await ws.write_json({"a": "x\ud800é"})
    await ws.write_json("\udc00", binary=True)
    assert channel.sent == [
        {"type": "websocket.send", "text": '{"a":"x\\ud800\\u00e9"}'},
        {"type": "websocket.send", "bytes": b'"\\udc00"'},
    ]


@given(json_values, st.booleans())
async def test_write_json_always_sends_utf8(value: Any, binary: bool) -> None:
    channel = Channel([{"type": "websocket.connect"}])
    ws = await accept(Request(websocket_scope(), channel.receive, channel.send))
    await ws.write_json(value, binary=binary)
    sent = channel.sent[-1]
    data: bytes = sent["bytes"] if binary else sent["text"].encode("utf-8")
    # The same JSON the standard library writes with every non-ASCII character escaped.
    assert json.loads(data) == json.loads(json.dumps(value))
