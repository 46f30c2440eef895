"""The middleware end to end, in process: whole bodies, streams, Server-Sent Events,
what is left alone, ETag, Vary and HEAD."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgikit.asgi import Message, Receive, Scope, Send
from asgikit.compression import DEFAULT_THREAD_THRESHOLDS, CompressionMiddleware, _codecs
from asgikit.requests import Request
from asgikit.responses import ServerSentEvent
from asgikit.testing import Channel, http_scope

CODINGS = ("zstd", "br", "gzip")
DATA = {"items": [{"id": i, "name": f"item {i}", "ok": i % 2 == 0} for i in range(200)]}
PAYLOAD = json.dumps(DATA, separators=(",", ":")).encode()


async def json_app(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    request.response.headers["etag"] = '"v1"'
    await request.respond_json(DATA)


@pytest.mark.parametrize("coding", CODINGS)
async def test_whole_body_per_coding(serve: Any, coding: str) -> None:
    result = await serve(json_app, accept_encoding=coding)
    assert result.coding == coding
    assert json.loads(result.body) == DATA
    headers = result.headers
    assert int(headers["content-length"]) == len(result.raw) < len(PAYLOAD) // 3
    assert headers["vary"] == "Accept-Encoding"
    assert headers["etag"] == 'W/"v1"'
    assert len(result.bodies) == 1


async def test_not_compressed_for_a_client_that_asks_for_none_but_varies(serve: Any) -> None:
    for accept in (None, "identity", "gzip;q=0"):
        result = await serve(json_app, accept_encoding=accept)
        assert result.coding is None
        assert result.raw == PAYLOAD
        assert result.headers["vary"] == "Accept-Encoding"
        assert result.headers["etag"] == '"v1"'  # the identity bytes keep their strong tag
        assert result.headers["content-length"] == str(len(PAYLOAD))


async def test_small_bodies_are_sent_as_they_are(serve: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive, send).respond_text("x" * 499)

    result = await serve(app)
    assert result.coding is None and result.raw == b"x" * 499
    assert result.headers["vary"] == "Accept-Encoding"
    bigger = await serve(app, minimum_size=10)
    assert bigger.coding == "zstd" and bigger.body == b"x" * 499


async def test_a_small_whole_body_without_content_length_is_sent_as_it_is(
    serve: Any,
) -> None:
    app = raw_app(
        200, [(b"content-type", b"text/plain")], {"type": "http.response.body", "body": b"tiny"}
    )
    result = await serve(app)
    assert result.raw == b"tiny"
    assert result.headers == {"content-type": "text/plain", "vary": "Accept-Encoding"}


async def test_a_whole_body_without_content_length_gets_one(serve: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b"a" * 1000})

    result = await serve(app, accept_encoding="gzip")
    assert result.coding == "gzip" and result.body == b"a" * 1000
    assert result.headers["content-length"] == str(len(result.raw))


def streaming_app(chunks: list[bytes], media_type: str = "text/plain") -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        request.response.headers["etag"] = '"s1"'
        async with request.response_writer(media_type=media_type) as write:
            for chunk in chunks:
                await write(chunk)

    return app


@pytest.mark.parametrize("coding", CODINGS)
async def test_stream_is_flushed_per_message(serve: Any, new_decoder: Any, coding: str) -> None:
    chunks = [b"line %d " % i * (i % 7) + b"\n" for i in range(100)]
    result = await serve(streaming_app(chunks), accept_encoding=coding)
    assert result.coding == coding
    assert "content-length" not in result.headers
    assert result.headers["etag"] == 'W/"s1"'
    # One message out per message in, each decodable at once: the client has every
    # chunk as soon as it is sent.
    bodies = result.bodies
    assert len(bodies) == len(chunks) + 1  # the writer's closing empty message
    decoder = new_decoder(coding)
    decoded = b""
    for index in range(len(chunks)):
        decoded += decoder.feed(bodies[index])
        assert decoded == b"".join(chunks[: index + 1])
    decoded += decoder.feed(bodies[-1])
    assert decoded == b"".join(chunks)


async def test_empty_messages_in_a_stream_are_skipped(serve: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})  # fmt: skip
        for body in (b"one ", b"", b"two"):
            await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    result = await serve(app, accept_encoding="gzip")
    assert result.body == b"one two"
    assert len(result.bodies) == 3


async def test_trailers_follow_a_compressed_stream(serve: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "trailers": True,
                    "headers": [(b"content-type", b"text/plain")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b"abc" * 300, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        await send({"type": "http.response.trailers", "headers": [(b"x-sum", b"1")]})

    result = await serve(app, accept_encoding="br")
    assert result.body == b"abc" * 300
    assert result.channel.sent[-1]["type"] == "http.response.trailers"
    assert result.start["trailers"] is True


async def test_server_sent_events_get_their_headers_at_once_and_each_event_when_sent(
    new_decoder: Any,
) -> None:
    release = asyncio.Event()
    sent_one = asyncio.Event()

    async def events() -> Any:
        yield ServerSentEvent("first", event="tick")
        sent_one.set()
        await release.wait()
        yield ServerSentEvent("second")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive, send).respond_event_stream(events(), ping_interval=None)

    scope = http_scope(headers=[("accept-encoding", "gzip")])
    channel = Channel([{"type": "http.request", "body": b"", "more_body": False}])
    task = asyncio.create_task(CompressionMiddleware(app)(scope, channel.receive, channel.send))
    await sent_one.wait()
    # The first event is out, whole and decodable, before the second exists.
    assert channel.sent[0]["type"] == "http.response.start"
    decoder = new_decoder("gzip")
    first = b"".join(decoder.feed(m["body"]) for m in channel.sent[1:])
    assert first == ServerSentEvent("first", event="tick").encode()
    release.set()
    await task  # the events ran out: the stream ends
    rest = b"".join(decoder.feed(m["body"]) for m in channel.sent[2:])
    assert rest == ServerSentEvent("second").encode()


async def test_sse_headers_are_sent_before_any_event() -> None:
    started = asyncio.Event()

    async def events() -> Any:
        started.set()
        await asyncio.Event().wait()
        yield "never"  # pragma: no cover

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive, send).respond_event_stream(events(), ping_interval=None)

    scope = http_scope(headers=[("accept-encoding", "zstd")])
    channel = Channel([{"type": "http.request", "body": b"", "more_body": False}])
    task = asyncio.create_task(CompressionMiddleware(app)(scope, channel.receive, channel.send))
    await started.wait()
    assert [m["type"] for m in channel.sent] == ["http.response.start"]
    assert (b"content-encoding", b"zstd") in channel.sent[0]["headers"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_head_gets_the_headers_of_get_but_the_length(serve: Any) -> None:
    get = await serve(json_app)
    head = await serve(json_app, method="HEAD")
    expected = dict(get.headers)
    del expected["content-length"]
    assert head.headers == expected
    assert head.raw == b""


async def test_head_of_a_small_body_matches_get(serve: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive, send).respond_text("small")

    get = await serve(app)
    head = await serve(app, method="HEAD")
    assert head.headers == get.headers
    assert get.coding is None


def raw_app(status: int, headers: list[tuple[bytes, bytes]], *extra: Message) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for message in extra or ({"type": "http.response.body", "body": b"z" * 2000},):
            await send(message)

    return app


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (200, [(b"content-type", b"text/plain"), (b"content-encoding", b"gzip")]),
        (206, [(b"content-type", b"text/plain"), (b"content-range", b"bytes 0-1999/5000")]),
        (200, [(b"content-type", b"image/png")]),
        (200, [(b"content-type", b"application/octet-stream")]),
        (200, []),
    ],
)
async def test_left_alone(serve: Any, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    result = await serve(raw_app(status, headers))
    assert result.start["headers"] == headers
    assert result.raw == b"z" * 2000


@pytest.mark.parametrize("status", [204, 304])
async def test_no_content_statuses_are_left_alone(serve: Any, status: int) -> None:
    headers = [(b"content-type", b"text/plain"), (b"etag", b'"x"')]
    app = raw_app(status, headers, {"type": "http.response.body", "body": b""})
    result = await serve(app)
    assert result.start["headers"] == headers


async def test_a_304_revalidating_the_compressed_form_says_so(serve: Any) -> None:
    # RFC 9110 §15.4.5: a 304 carries the ETag and Vary the 200 would have. The client
    # validated W/"x", the tag of the compressed 200, so the 304 names it and varies.
    headers = [(b"etag", b'"x"')]
    app = raw_app(304, headers, {"type": "http.response.body", "body": b""})
    for if_none_match in ('W/"x"', '"y", W/"x"'):
        result = await serve(app, headers=[("if-none-match", if_none_match)])
        assert result.headers == {"etag": 'W/"x"', "vary": "Accept-Encoding"}
        assert result.raw == b""


@pytest.mark.parametrize("if_none_match", [None, '"x"', 'W/"y"', "*"])
async def test_a_304_revalidating_the_identity_form_is_left_alone(
    serve: Any, if_none_match: str | None
) -> None:
    headers = [(b"date", b"Mon, 30 Nov 2026 03:00:00 GMT"), (b"etag", b'"x"')]
    app = raw_app(304, headers, {"type": "http.response.body", "body": b""})
    request_headers = [("if-none-match", if_none_match)] if if_none_match else []
    result = await serve(app, headers=request_headers)
    assert result.start["headers"] == headers


@pytest.mark.parametrize("headers", [[], [(b"etag", b'W/"x"')]], ids=["no-etag", "weak-etag"])
async def test_a_304_without_a_strong_etag_is_left_alone(
    serve: Any, headers: list[tuple[bytes, bytes]]
) -> None:
    # A weak tag from the app is the app's own: this middleware weakens only strong ones.
    app = raw_app(304, headers, {"type": "http.response.body", "body": b""})
    result = await serve(app, headers=[("if-none-match", 'W/"x"')])
    assert result.start["headers"] == headers


async def test_a_compressed_200_then_its_304_round_trip(serve: Any) -> None:
    # The app compares weakly, as If-None-Match asks (RFC 9110 §13.1.2).
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        request.response.headers["etag"] = '"v1"'
        if request.headers.get("if-none-match", "").removeprefix("W/") == '"v1"':
            await request.respond_status(HTTPStatus.NOT_MODIFIED)
        else:
            await request.respond_json(DATA)

    first = await serve(app)
    assert first.headers["etag"] == 'W/"v1"' and first.coding == "zstd"
    again = await serve(app, headers=[("if-none-match", first.headers["etag"])])
    assert again.start["status"] == 304
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["vary"] == first.headers["vary"]


async def test_pathsend_is_left_alone(serve: Any) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"5000")]
    pathsend = {"type": "http.response.pathsend", "path": "/srv/big.txt"}
    result = await serve(raw_app(200, headers, pathsend),
                         extensions={"http.response.pathsend": {}})  # fmt: skip
    assert result.start["headers"] == headers
    assert result.channel.sent[-1] == pathsend


async def test_an_asgikit_app_opts_one_response_out(serve: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        request.response.compress = False
        await request.respond_json(DATA)

    result = await serve(app)
    assert result.coding is None
    assert result.raw == PAYLOAD
    assert "vary" not in result.headers


async def test_other_scopes_pass_through() -> None:
    seen: list[Send] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(send)

    channel = Channel()
    await CompressionMiddleware(app)({"type": "lifespan"}, channel.receive, channel.send)
    assert seen == [channel.send]


async def test_big_bodies_are_compressed_in_a_thread(
    serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []
    to_thread = asyncio.to_thread

    async def counting(function: Callable[..., bytes], *args: Any) -> bytes:
        result = await to_thread(function, *args)
        sizes.append(len(result))
        return result

    monkeypatch.setattr(asyncio, "to_thread", counting)
    big = await serve(json_app, thread_threshold=len(PAYLOAD))
    assert sizes == [len(big.raw)]
    await serve(json_app, thread_threshold=len(PAYLOAD) + 1)
    assert len(sizes) == 1
    chunks = [b"a" * 3000, b"b" * 10]
    await serve(streaming_app(chunks), thread_threshold=3000)
    assert len(sizes) == 2  # the first chunk only
    # By default, per coding: zstd is about four times as fast as gzip at their levels.
    message = {"type": "http.response.body", "body": b"q" * DEFAULT_THREAD_THRESHOLDS["gzip"]}
    body = raw_app(200, [(b"content-type", b"text/plain")], message)
    await serve(body, accept_encoding="gzip")
    assert len(sizes) == 3
    await serve(body, accept_encoding="zstd")
    assert len(sizes) == 3


async def test_a_missing_module_is_not_offered(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(_codecs.CODECS, "zstd")
    monkeypatch.delitem(_codecs.CODECS, "br")
    middleware = CompressionMiddleware(json_app, levels={"br": 99})
    assert middleware.codings == ("gzip",)
    result = await serve(json_app, accept_encoding="zstd, br, gzip;q=0.1")
    assert result.coding == "gzip"
    none_left = await serve(json_app, codings=("zstd",))
    assert none_left.coding is None and "vary" not in none_left.headers


async def test_levels_are_used(serve: Any) -> None:
    fast = await serve(json_app, accept_encoding="gzip", levels={"gzip": 1})
    best = await serve(json_app, accept_encoding="gzip", levels={"gzip": 9})
    assert json.loads(fast.body) == json.loads(best.body) == DATA
    # RFC 1952 XFL: 4 "fastest algorithm", 2 "maximum compression".
    assert (fast.raw[8], best.raw[8]) == (4, 2)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"codings": ["lzma"]}, ValueError, "unknown coding 'lzma'"),
        ({"levels": {"deflate": 1}}, ValueError, "unknown coding 'deflate'"),
        ({"levels": {"gzip": 10}}, ValueError, "level 10 out of range for gzip: 0 to 9"),
        ({"minimum_size": -1}, ValueError, "minimum_size must be an int >= 0"),
        ({"thread_threshold": 1.5}, ValueError, "thread_threshold must be an int >= 0"),
        ({"level": 3}, TypeError, "unknown compression options: \\['level'\\]"),
    ],
)
def test_bad_options(options: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        CompressionMiddleware(json_app, **options)


async def test_custom_compressible(serve: Any) -> None:
    headers = [(b"content-type", b"application/octet-stream")]
    result = await serve(raw_app(200, headers), compressible=lambda t: True)
    assert result.coding == "zstd" and result.body == b"z" * 2000


@settings(max_examples=60)
@given(
    parts=st.lists(st.binary(max_size=700), max_size=6),
    accept=st.sampled_from(["gzip", "br", "zstd", "identity", "*", "br;q=0.5, gzip", ""]),
    media_type=st.sampled_from([b"text/plain", b"application/json", b"image/png"]),
)
def test_any_body_in_any_pieces_arrives_whole(
    parts: list[bytes], accept: str, media_type: bytes, decode_as: Any
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", media_type)]})  # fmt: skip
        for index, part in enumerate(parts):
            more = index < len(parts) - 1
            await send({"type": "http.response.body", "body": part, "more_body": more})
        if not parts:
            await send({"type": "http.response.body", "body": b""})

    async def run() -> tuple[list[tuple[bytes, bytes]], bytes]:
        scope = http_scope(headers=[("accept-encoding", accept)])
        channel = Channel([{"type": "http.request", "body": b""}])
        await CompressionMiddleware(app)(scope, channel.receive, channel.send)
        assert channel.sent[-1].get("more_body", False) is False
        return channel.headers, channel.body

    headers, body = asyncio.run(run())
    coding = dict(headers).get(b"content-encoding")
    assert decode_as(coding.decode() if coding else None, body) == b"".join(parts)
    if coding is not None:
        assert accept not in ("identity", "")
        assert media_type != b"image/png"
