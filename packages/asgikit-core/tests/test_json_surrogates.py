"""A lone surrogate never causes a 500.

RFC 8259 §8.2: a string holding an unpaired surrogate has unpredictable behaviour, and
RFC 7493 §2.1 (I-JSON) forbids it. Reading refuses one with InvalidJSONError (400);
writing escapes one (``\\ud800``), so that what goes out is always valid UTF-8.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit import json_codec
from asgikit.errors import AsgikitError, ClientError, InvalidJSONError
from asgikit.requests import Request
from asgikit.responses import ServerSentEvent
from asgikit.testing import Channel, http_scope

MakeRequest = Callable[..., tuple[Request, Channel]]

# Text that may hold lone surrogates: st.text() never makes one, so join characters.
any_text = st.lists(st.one_of(st.characters(), st.characters(categories=["Cs"]))).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


def as_json_reads_it(value: Any) -> Any:
    """``value`` as a JSON reader gets it back from escapes: a high surrogate followed by
    a low one is one character (JSON strings are UTF-16 code units); lone ones stay."""
    if isinstance(value, str):
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    if isinstance(value, list):
        return [as_json_reads_it(item) for item in value]
    if isinstance(value, dict):
        return {as_json_reads_it(k): as_json_reads_it(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    "body",
    [
        b'"\\ud800"',
        b'"\\uDFFF"',
        b'{"\\udc00": 1}',
        b'[1, {"a": ["x\\ud83d"]}]',  # a high surrogate with no low one after it
        b'"\\ude00\\ud83d"',  # a pair in the wrong order is two lone surrogates
        b'"\xed\xa0\x80"',  # a surrogate encoded in UTF-8 bytes (json.loads lets it pass)
        '"\ud800"'.encode("utf-16-le", "surrogatepass"),  # UTF-16, detected by json.loads
    ],
)
async def test_read_json_refuses_a_lone_surrogate(make_request: MakeRequest, body: bytes) -> None:
    request, _ = make_request("POST", body=body, headers=[("content-type", "application/json")])
    with pytest.raises(InvalidJSONError, match="surrogate") as info:
        await request.read_json()
    assert info.value.status_code == 400


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'"\\ud83d\\ude00"', "😀"),  # a pair is one character
        (b'"\\\\ud800"', "\\ud800"),  # an escaped backslash: text, no surrogate
        ('"😀"'.encode(), "😀"),
        ('{"é": "\\u00e9"}'.encode(), {"é": "é"}),
    ],
)
async def test_read_json_keeps_what_is_no_lone_surrogate(
    make_request: MakeRequest, body: bytes, expected: Any
) -> None:
    request, _ = make_request("POST", body=body)
    assert await request.read_json() == expected


async def test_the_readme_echo_answers_a_lone_surrogate_with_400(make_request: MakeRequest) -> None:
    request, channel = make_request("POST", body=b'"\\ud800"')
    try:
        await request.respond_json(await request.read_json())
    except ClientError as exc:
        await request.respond_status(exc.status_code)
    assert channel.status == 400


async def test_respond_json_escapes_a_lone_surrogate(make_request: MakeRequest) -> None:
    request, channel = make_request()
    await request.respond_json({"a\udc00": "x\ud800é"})
    assert channel.status == 200
    text = channel.body.decode("utf-8")  # valid UTF-8
    assert json.loads(text) == {"a\udc00": "x\ud800é"}
    assert channel.header("content-length") == str(len(channel.body))


def test_dumps_escapes_only_when_it_must() -> None:
    assert json_codec.dumps("é😀") == '"é😀"'  # UTF-8 text as is
    assert json_codec.dumps("\ud800") == '"\\ud800"'


@given(json_values)
async def test_respond_json_never_raises_and_sends_utf8_json(value: Any) -> None:
    channel = Channel.with_body()
    request = Request(http_scope(), channel.receive, channel.send)
    await request.respond_json(value)
    assert json.loads(channel.body.decode("utf-8")) == as_json_reads_it(value)


@given(json_values)
def test_dumps_output_is_always_utf8_encodable(value: Any) -> None:
    text = json_codec.dumps(value)
    assert json.loads(text.encode("utf-8")) == as_json_reads_it(value)


json_bytes = st.one_of(
    st.binary(),
    json_values.map(lambda v: json.dumps(v).encode()),  # surrogates as \uXXXX escapes
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
)


@given(json_bytes)
async def test_read_json_of_any_bytes_raises_only_our_errors(body: bytes) -> None:
    channel = Channel.with_body(body)
    request = Request(http_scope("POST"), channel.receive, channel.send)
    try:
        value = await request.read_json()
    except AsgikitError:
        return
    # What is accepted holds no lone surrogate: it encodes as UTF-8 as it is.
    json.dumps(value, ensure_ascii=False).encode("utf-8")


async def test_an_event_stream_relays_a_lone_surrogate_as_valid_utf8(
    make_request: MakeRequest,
) -> None:
    request, channel = make_request()

    async def events() -> AsyncIterator[ServerSentEvent | str]:
        yield "a\ud800b"
        yield ServerSentEvent("c\udfff", event="e")

    await request.respond_event_stream(events(), ping_interval=None)
    assert channel.body.decode("utf-8") == "data: a\ufffdb\n\nevent: e\ndata: c\ufffd\n\n"


@given(any_text)
def test_server_sent_event_data_always_encodes(data: str) -> None:
    encoded = ServerSentEvent(data).encode()
    assert encoded.decode("utf-8").startswith("data: ")


@given(
    st.text(st.characters(exclude_categories=())),  # surrogates included
    st.booleans(),
    st.booleans(),
)
def test_loads_refuses_exactly_the_strings_with_a_lone_surrogate(
    text: str, escaped: bool, as_bytes: bool
) -> None:
    # Escaped (\udXXX) or raw (UTF-8 bytes ED A0-BF, or a str holding one), as bytes or
    # as text: loads() refuses the value if and only if it holds a lone surrogate.
    document = json.dumps({"k": [text]}, ensure_ascii=escaped)
    data: str | bytes = document.encode("utf-8", "surrogatepass") if as_bytes else document
    if any("\ud800" <= c <= "\udfff" for c in text):
        with pytest.raises(InvalidJSONError, match="lone surrogate"):
            json_codec.loads(data)
    else:
        assert json_codec.loads(data) == {"k": [text]}


def outcome(data: str | bytes, codec: Callable[[Any], Any]) -> str:
    """What json_codec.loads gives, as text: the value's repr (NaN equals itself there) or
    the error's message."""
    try:
        return repr(json_codec.loads(data, codec))
    except InvalidJSONError as exc:
        return f"InvalidJSONError: {exc}"


json_documents = st.one_of(
    st.binary(),
    json_bytes,
    st.tuples(
        json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
        st.sampled_from(["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"]),
    ).map(lambda pair: pair[0].encode(pair[1], "surrogatepass")),
    st.sampled_from([b"", b" ", b"\x00", b"{\x00}", b"\xef\xbb\xbf{}", b"NaN", b'"\xed\xa0\x80"']),
)


@given(json_documents)
def test_loads_with_the_default_codec_answers_as_through_any_codec(data: bytes) -> None:
    # loads() reads UTF-8 bytes with json.loads by a shorter way of its own: it must give
    # what the general way (any other codec) gives, value or error, for any bytes.
    assert outcome(data, json.loads) == outcome(data, lambda d: json.loads(d))
