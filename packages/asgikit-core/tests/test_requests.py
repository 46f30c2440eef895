from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from http import HTTPMethod
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgikit.errors import (
    BadRequestError,
    BodyStateError,
    ClientDisconnectedError,
    ContentTooLargeError,
    InvalidEncodingError,
    InvalidJSONError,
    MalformedHeaderError,
    MissingDistributionError,
    UnsupportedMediaTypeError,
)
from asgikit.requests import COMPILED, Request
from asgikit.testing import Channel, http_scope, websocket_scope

MakeRequest = Callable[..., tuple[Request, Channel]]


def test_scope_properties(make_request: MakeRequest) -> None:
    request, _ = make_request(
        "POST",
        "/a b",
        query_string=b"x=1",
        root_path="/root",
        scheme="https",
        http_version="2",
    )
    assert request.method == HTTPMethod.POST and request.method == "POST"
    assert request.path == "/a b" and request.raw_path == b"/a b"
    assert request.root_path == "/root" and request.scheme == "https"
    assert request.http_version == "2"
    assert request.client == ("127.0.0.1", 50000) and request.server == ("127.0.0.1", 8000)
    assert request.is_http and not request.is_websocket
    assert request.query == {"x": "1"}
    assert repr(request) == "<Request POST /a b>"


def test_unknown_method_does_not_crash(make_request: MakeRequest) -> None:
    request, _ = make_request("PROPFIND")
    assert request.method == "PROPFIND"


def test_optional_scope_keys_have_spec_defaults() -> None:
    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    request = Request(scope, Channel().receive, Channel().send)
    assert request.raw_path is None and request.root_path == "" and request.scheme == "http"
    assert request.http_version == "1.1" and request.client is None and request.server is None
    assert request.query == {} and request.cookies == {} and request.state == {}


def test_websocket_scope(make_request: MakeRequest) -> None:
    scope = websocket_scope("/ws", headers=[("cookie", "a=1")])
    request = Request(scope, Channel().receive, Channel().send)
    assert request.is_websocket and request.method == "GET" and request.scheme == "ws"
    assert request.cookies == {"a": "1"}


def test_lifespan_state_is_the_scope_state(make_request: MakeRequest) -> None:
    request, _ = make_request()
    request.state["db"] = "conn"
    assert request.scope["state"] == {"db": "conn"}


def test_headers_cookies_and_content_type(make_request: MakeRequest) -> None:
    request, _ = make_request(
        headers=[
            ("Content-Type", 'text/plain; charset="ISO-8859-1"'),
            ("cookie", "a=1; b=2"),
            ("cookie", "a=3"),  # HTTP/2 sends one Cookie header per cookie
            ("content-length", "0"),
        ]
    )
    assert request.content_type == "text/plain" and request.charset == "ISO-8859-1"
    assert request.cookies == {"a": ["1", "3"], "b": "2"}
    assert request.cookies.get_first("a") == "1"
    assert request.content_length == 0


@pytest.mark.parametrize("value", ["-1", "+1", "1_0", "abc", "1, 2"])
def test_malformed_content_length_is_400(make_request: MakeRequest, value: str) -> None:
    request, _ = make_request(headers=[("content-length", value)])
    with pytest.raises(MalformedHeaderError) as info:
        _ = request.content_length
    assert info.value.status_code == 400


def test_query_parameter_limit(make_request: MakeRequest) -> None:
    query = "&".join(f"p{i}=1" for i in range(1001)).encode()
    request, _ = make_request(query_string=query)
    with pytest.raises(ContentTooLargeError, match="max_query_params=1000"):
        _ = request.query
    request.max_query_params = 2000
    assert len(request.query) == 1001


async def test_read_bytes_text_json(make_request: MakeRequest) -> None:
    request, _ = make_request(
        "POST", body=[b'{"a":', b" 1}"], headers=[("content-type", "application/json")]
    )
    assert await request.read_json() == {"a": 1}
    assert await request.read_bytes() == b'{"a": 1}'
    assert await request.read_text() == '{"a": 1}'


async def test_body_is_shared_by_every_request_over_the_scope() -> None:
    channel = Channel.with_body(b"hello ", b"world")
    scope = http_scope("POST")
    middleware_request = Request(scope, channel.receive, channel.send)
    assert await middleware_request.read_bytes() == b"hello world"
    handler_request = Request(scope, channel.receive, channel.send)
    assert await handler_request.read_bytes() == b"hello world"
    assert [chunk async for chunk in handler_request.read_stream()] == [b"hello world"]
    assert channel.receive_calls == 2  # nobody waited on receive() again


async def test_streamed_body_cannot_be_streamed_again(make_request: MakeRequest) -> None:
    request, _ = make_request("POST", body=[b"a", b"b"])
    assert [chunk async for chunk in request.read_stream()] == [b"a", b"b"]
    with pytest.raises(BodyStateError, match="consumed"):
        await request.read_bytes()
    with pytest.raises(BodyStateError):
        async for _ in request.read_stream():
            pass


async def test_body_cannot_be_read_while_it_is_streamed(make_request: MakeRequest) -> None:
    request, _ = make_request("POST", body=[b"a", b"b"])
    stream = request.read_stream()
    assert await anext(stream) == b"a"
    with pytest.raises(BodyStateError, match="being streamed"):
        await request.read_bytes()
    await stream.aclose()


async def test_declared_length_over_the_limit_fails_before_reading(
    make_request: MakeRequest,
) -> None:
    request, channel = make_request("POST", body=b"x" * 100, headers=[("content-length", "100")])
    with pytest.raises(ContentTooLargeError) as info:
        await request.read_bytes(max_body_size=10)
    assert info.value.status_code == 413 and info.value.limit == 10
    assert "max_body_size=10" in str(info.value)
    assert channel.receive_calls == 0


@pytest.mark.parametrize("read", ["read_bytes", "read_json"])
async def test_a_read_checks_content_length_before_the_body(
    make_request: MakeRequest, read: str
) -> None:
    request, channel = make_request("POST", body=b"[1]", headers=[("content-length", "1_0")])
    with pytest.raises(MalformedHeaderError):
        await getattr(request, read)()
    request, channel = make_request("POST", body=b"[1]", headers=[("content-length", "3")])
    with pytest.raises(ContentTooLargeError):
        await getattr(request, read)(max_body_size=2)
    assert channel.receive_calls == 0
    assert await getattr(request, read)(max_body_size=3) in (b"[1]", [1])  # nothing was read


@pytest.mark.parametrize("read", ["read_bytes", "read_json"])
async def test_a_single_message_body_is_checked_as_any(
    make_request: MakeRequest, read: str
) -> None:
    # The whole body in one message (the usual case): over the limit, or longer than
    # Content-Length, it fails as a body in many messages does.
    request, _ = make_request("POST", body=b"[1, 2]")
    with pytest.raises(ContentTooLargeError):
        await getattr(request, read)(max_body_size=5)
    with pytest.raises(BodyStateError, match="failed part way"):
        await getattr(request, read)(max_body_size=6)
    request, _ = make_request("POST", body=b"[1, 2]", headers=[("content-length", "5")])
    with pytest.raises(BadRequestError, match="longer than its Content-Length"):
        await getattr(request, read)()
    request, _ = make_request("POST", body=b"[1, 2]")
    assert await getattr(request, read)(max_body_size=6) in (b"[1, 2]", [1, 2])
    assert await request.read_bytes(max_body_size=0) == b"[1, 2]"  # kept for any later read


async def test_limit_counts_bytes_as_they_arrive_without_content_length() -> None:
    chunks = [b"x" * 1000] * 50
    channel = Channel.with_body(*chunks)
    request = Request(http_scope("POST"), channel.receive, channel.send)
    request.max_body_size = 4500
    with pytest.raises(ContentTooLargeError):
        await request.read_bytes()
    assert channel.receive_calls == 5  # failed on the chunk that crossed the limit


async def test_limit_at_and_under(make_request: MakeRequest) -> None:
    request, _ = make_request("POST", body=[b"x" * 5, b"x" * 5])
    assert len(await request.read_bytes(max_body_size=10)) == 10
    request, _ = make_request("POST", body=[b"x" * 5, b"x" * 6])
    with pytest.raises(ContentTooLargeError):
        await request.read_bytes(max_body_size=10)


async def test_body_longer_than_its_content_length_is_400(make_request: MakeRequest) -> None:
    request, _ = make_request(
        "POST", body=[b"x" * 10, b"y" * 10], headers=[("content-length", "10")]
    )
    with pytest.raises(BadRequestError, match="longer than its Content-Length"):
        await request.read_bytes()
    request, _ = make_request("POST", body=[b"x" * 10, b"y"], headers=[("content-length", "10")])
    with pytest.raises(BadRequestError):
        async for _ in request.read_stream():
            pass


async def test_disconnect_while_reading_the_body() -> None:
    channel = Channel([{"type": "http.request", "body": b"part", "more_body": True}])
    channel.disconnect()
    request = Request(http_scope("POST"), channel.receive, channel.send)
    with pytest.raises(ClientDisconnectedError):
        await request.read_bytes()
    with pytest.raises(ClientDisconnectedError):  # still gone: the same error, not a state one
        await request.read_bytes()


async def test_a_read_that_failed_part_way_says_so_next_time() -> None:
    channel = Channel.with_body(b"x" * 10, b"x" * 10)
    request = Request(http_scope("POST"), channel.receive, channel.send)
    with pytest.raises(ContentTooLargeError):
        await request.read_bytes(max_body_size=15)
    with pytest.raises(BodyStateError, match="an earlier read of it failed"):
        await request.read_bytes(max_body_size=100)
    with pytest.raises(BodyStateError, match="an earlier read of it failed"):
        async for _ in request.read_stream():
            pass


async def test_a_stream_stopped_early_is_consumed_not_failed() -> None:
    channel = Channel.with_body(b"a", b"b", b"c")
    request = Request(http_scope("POST"), channel.receive, channel.send)
    stream = request.read_stream()
    assert await anext(stream) == b"a"
    await stream.aclose()
    with pytest.raises(BodyStateError, match="consumed it without keeping it"):
        await request.read_bytes()


async def test_disconnect_while_streaming_the_body() -> None:
    channel = Channel([{"type": "http.request", "body": b"part", "more_body": True}])
    channel.disconnect()
    request = Request(http_scope("POST"), channel.receive, channel.send)
    received = []
    with pytest.raises(ClientDisconnectedError):
        async for chunk in request.read_stream():
            received.append(chunk)
    assert received == [b"part"]


async def test_missing_more_body_means_the_last_message() -> None:
    channel = Channel([{"type": "http.request", "body": b"all"}])
    request = Request(http_scope("POST"), channel.receive, channel.send)
    assert await request.read_bytes() == b"all"
    channel = Channel([{"type": "http.request"}])
    request = Request(http_scope("POST"), channel.receive, channel.send)
    assert await request.read_bytes() == b""


@pytest.mark.parametrize(
    ("content_type", "body", "encoding", "expected"),
    [
        ("text/plain; charset=latin-1", "café".encode("latin-1"), None, "café"),
        ('text/plain; charset="utf-16"', "ok".encode("utf-16"), None, "ok"),
        ("text/plain", "café".encode(), None, "café"),
        ("text/plain; charset=utf-8", "café".encode("latin-1"), "latin-1", "café"),  # explicit wins
    ],
)
async def test_read_text_charset(
    make_request: MakeRequest, content_type: str, body: bytes, encoding: str | None, expected: str
) -> None:
    request, _ = make_request("POST", body=body, headers=[("content-type", content_type)])
    assert await request.read_text(encoding) == expected


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain; charset=nonsense-9"])
async def test_read_text_undecodable_is_400(make_request: MakeRequest, content_type: str) -> None:
    request, _ = make_request(
        "POST", body=b"\xff\xfe\xfa", headers=[("content-type", content_type)]
    )
    with pytest.raises(InvalidEncodingError) as info:
        await request.read_text()
    assert info.value.status_code == 400


async def test_read_json_empty_body_is_none(make_request: MakeRequest) -> None:
    request, _ = make_request("POST", headers=[("content-type", "application/json")])
    assert await request.read_json() is None


@pytest.mark.parametrize("body", [b"{", b"nope", b"\xff", b'{"a": NaN'])
async def test_read_json_invalid_is_400(make_request: MakeRequest, body: bytes) -> None:
    request, _ = make_request("POST", body=body, headers=[("content-type", "application/json")])
    with pytest.raises(InvalidJSONError) as info:
        await request.read_json()
    assert info.value.status_code == 400


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_read_json_refuses_other_media_types(
    make_request: MakeRequest, content_type: str
) -> None:
    request, _ = make_request("POST", body=b"{}", headers=[("content-type", content_type)])
    with pytest.raises(UnsupportedMediaTypeError) as info:
        await request.read_json()
    assert info.value.status_code == 415
    assert await request.read_json(check_media_type=False) == {}


@pytest.mark.parametrize(
    "raw",
    [
        [(b"Content-Type", b"text/plain")],  # a server that did not lower-case the name
        [(b"content-type", b"text/plain"), (b"content-type", b"application/json")],
        [(b"content-type", b"application/jsonx")],
    ],
)
async def test_read_json_judges_the_first_content_type_in_any_case(
    raw: list[tuple[bytes, bytes]],
) -> None:
    channel = Channel.with_body(b"{}")
    scope = http_scope("POST")
    scope["headers"] = raw
    with pytest.raises(UnsupportedMediaTypeError):
        await Request(scope, channel.receive, channel.send).read_json()
    assert channel.receive_calls == 0


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/json; charset=utf-8",
        "application/vnd.api+json",
        "Application/JSON",
        " application/json ",
    ],
)
async def test_read_json_accepts_json_media_types(
    make_request: MakeRequest, content_type: str | None
) -> None:
    headers = [("content-type", content_type)] if content_type else []
    request, _ = make_request("POST", body=b"[1]", headers=headers)
    assert await request.read_json() == [1]


async def test_read_json_with_a_custom_codec(make_request: MakeRequest) -> None:
    seen: list[bytes] = []

    def loads(data: bytes) -> Any:
        seen.append(data)
        return json.loads(data)

    request, _ = make_request("POST", body=b'{"k": 2}')
    assert await request.read_json(loads=loads) == {"k": 2}
    assert seen == [b'{"k": 2}']


@settings(max_examples=30)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=10,
    )
)
def test_json_body_split_at_every_offset(value: Any) -> None:
    body = json.dumps(value).encode()

    async def read(chunks: list[bytes]) -> Any:
        channel = Channel.with_body(*chunks)
        return await Request(http_scope("POST"), channel.receive, channel.send).read_json()

    async def check_all() -> None:
        assert await read([bytes([b]) for b in body]) == value  # one byte at a time
        for offset in range(len(body) + 1):
            assert await read([body[:offset], body[offset:]]) == value

    asyncio.run(check_all())


async def test_optional_distributions_name_what_to_install(
    make_request: MakeRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    request, _ = make_request("POST")
    for module in ("asgikit.forms", "asgikit.files", "asgikit.websockets"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingDistributionError, match="pip install asgikit-forms") as info:
        await request.read_form()
    assert isinstance(info.value, ImportError)
    with pytest.raises(MissingDistributionError, match="pip install asgikit-files"):
        await request.respond_file("/etc/hostname")
    with pytest.raises(MissingDistributionError, match="pip install asgikit-websockets"):
        await request.websocket_accept()


@pytest.mark.parametrize(
    "charset", ["punycode", "idna", "undefined", "unicode_escape", "base64", "utf-8\x00"]
)
async def test_charsets_a_client_may_not_choose_are_400(
    make_request: MakeRequest, charset: str
) -> None:
    body = b"x" * 100_000 + b"-" + b"ba" * 100_000  # quadratic for punycode
    request, _ = make_request(
        "POST", body=body, headers=[("content-type", f"text/plain; charset={charset!r}")]
    )
    with pytest.raises(InvalidEncodingError) as info:
        await request.read_text()
    assert info.value.status_code == 400


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 50_000])
async def test_deeply_nested_json_is_400(make_request: MakeRequest, body: bytes) -> None:
    request, _ = make_request("POST", body=body, headers=[("content-type", "application/json")])
    with pytest.raises(InvalidJSONError, match="nested"):
        await request.read_json()


async def test_client_error_messages_name_no_server_option(
    make_request: Callable[..., tuple[Request, Channel]],
) -> None:
    from asgikit.errors import ContentTooLargeError, UnsupportedMediaTypeError

    request, _ = make_request("POST", body=b"x" * 11)
    with pytest.raises(ContentTooLargeError) as too_large:
        await request.read_bytes(max_body_size=10)
    assert too_large.value.message == "the body is larger than 10 bytes"
    assert too_large.value.hint == "max_body_size=10"

    request, _ = make_request("POST", body=b"{}", headers=[("content-type", "text/plain")])
    with pytest.raises(UnsupportedMediaTypeError) as wrong_type:
        await request.read_json()
    assert "check_media_type" not in wrong_type.value.message
    assert wrong_type.value.hint == "check_media_type=False accepts any"


@pytest.mark.skipif(COMPILED, reason="a compiled class cannot be monkeypatched")
def test_content_length_is_parsed_once_per_request(
    make_request: Callable[..., tuple[Request, Channel]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from asgikit.headers import Headers

    calls: list[Headers] = []
    real = Headers._content_length

    def counting(headers: Headers) -> int | None:
        calls.append(headers)
        return real(headers)

    monkeypatch.setattr(Headers, "_content_length", counting)
    request, _ = make_request("POST", body=b"abc", headers=[("content-length", "3")])
    assert request.content_length == 3
    assert Request(request.scope, request.receive, request.send).content_length == 3
    assert len(calls) == 1


content_length_lines = st.lists(
    st.tuples(
        st.sampled_from(
            [b"content-length", b"Content-Length", b"CONTENT-LENGTH", b"content-type", b"x"]
        ),
        st.one_of(
            st.binary(max_size=25),
            st.integers(0, 10**21).map(lambda n: str(n).encode()),
            st.sampled_from([b"5, 5", b" 7 ", b"0", b"00", "\uff15".encode()]),
        ),
    ),
    max_size=4,
)


def content_length_outcome(read: Callable[[], int | None]) -> str:
    try:
        return repr(read())
    except MalformedHeaderError as exc:
        return f"MalformedHeaderError: {exc}"


@given(content_length_lines)
def test_content_length_is_parse_content_length_of_every_line(
    raw: list[tuple[bytes, bytes]],
) -> None:
    # Whatever the lines (repeated, in any case, malformed), content_length answers as
    # parse_content_length() does given every Content-Length value in order.
    from asgikit.headers import parse_content_length

    scope = http_scope("POST")
    scope["headers"] = raw  # as a server sent them: names not always lower-cased
    request = Request(scope, Channel.with_body().receive, Channel.with_body().send)
    values = [value for name, value in raw if name.lower() == b"content-length"]
    assert content_length_outcome(lambda: request.content_length) == content_length_outcome(
        lambda: parse_content_length(values)
    )


def test_an_optional_distribution_still_being_imported_is_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # load() takes a module from sys.modules without the import machinery, unless
    # another thread is still running its import: then import_module() waits for it.
    import importlib
    import sys
    import types
    from importlib.machinery import ModuleSpec

    from asgikit.requests import _optional

    calls: list[str] = []

    def import_module(name: str) -> types.ModuleType:
        calls.append(name)
        return sys.modules[name]

    monkeypatch.setattr(importlib, "import_module", import_module)
    module = types.ModuleType("asgikit_half_imported")
    module.__spec__ = ModuleSpec("asgikit_half_imported", None)
    monkeypatch.setitem(sys.modules, "asgikit_half_imported", module)
    module.__spec__._initializing = True  # type: ignore[attr-defined]
    assert _optional.load("asgikit_half_imported", "d", "f") is module
    assert calls == ["asgikit_half_imported"]
    module.__spec__._initializing = False  # type: ignore[attr-defined]
    assert _optional.load("asgikit_half_imported", "d", "f") is module
    assert calls == ["asgikit_half_imported"]


async def test_read_json_reads_the_headers_a_subclass_gives() -> None:
    # read_json() reads Content-Type and Content-Length through the properties, so a
    # subclass that rewrites the headers is heard, as by read_bytes().
    from asgikit.headers import Headers
    from asgikit.testing import Channel, http_scope

    class Rewritten(Request):
        @property
        def headers(self) -> Headers:
            return Headers([(b"content-type", b"application/json")])

    scope = http_scope("POST", "/", headers=[(b"content-type", b"text/plain")])
    channel = Channel.with_body(b'{"a": 1}')
    assert await Rewritten(scope, channel.receive, channel.send).read_json() == {"a": 1}
