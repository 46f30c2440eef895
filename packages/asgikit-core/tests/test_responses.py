from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from http import HTTPStatus
from typing import Any

import httpx
import pytest

from asgikit.asgi import Message
from asgikit.errors import (
    BodyStateError,
    ClientDisconnectedError,
    HeaderValueError,
    ResponseStateError,
)
from asgikit.requests import COMPILED, Request
from asgikit.responses import ServerSentEvent
from asgikit.testing import Channel, http_scope

MakeRequest = Callable[..., tuple[Request, Channel]]


async def test_respond_text(make_request: MakeRequest) -> None:
    request, channel = make_request()
    await request.respond_text("héllo")
    assert channel.status == 200
    assert channel.headers == [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"6"),
    ]
    assert channel.body == "héllo".encode()
    assert request.response.is_started and request.response.is_finished


async def test_respond_text_with_encoding_status_and_media_type(make_request: MakeRequest) -> None:
    request, channel = make_request()
    request.response.encoding = "latin-1"
    await request.respond_text("<p>café</p>", status=HTTPStatus.CREATED, media_type="text/html")
    assert channel.status == 201
    assert channel.header("content-type") == "text/html; charset=latin-1"
    assert channel.body == "<p>café</p>".encode("latin-1")


async def test_respond_bytes_and_media_type_from_response(make_request: MakeRequest) -> None:
    request, channel = make_request()
    await request.respond_bytes(b"\x00\x01")
    assert channel.header("content-type") == "application/octet-stream"
    request, channel = make_request()
    request.response.media_type = "image/png"
    await request.respond_bytes(b"png")
    assert channel.header("content-type") == "image/png"


async def test_respond_json_is_compact_utf8(make_request: MakeRequest) -> None:
    request, channel = make_request()
    await request.respond_json({"name": "café", "n": [1, 2]})
    assert channel.body == '{"name":"café","n":[1,2]}'.encode()
    assert channel.header("content-type") == "application/json"


async def test_respond_json_refuses_nan(make_request: MakeRequest) -> None:
    request, channel = make_request()
    with pytest.raises(ValueError, match="JSON"):
        await request.respond_json({"x": float("nan")})
    assert channel.sent == [] and not request.response.is_started


async def test_respond_json_with_a_custom_codec(make_request: MakeRequest) -> None:
    request, channel = make_request()
    await request.respond_json([1], dumps=lambda value: json.dumps(value, indent=1))
    assert channel.body == b"[\n 1\n]"


@pytest.mark.parametrize("status", [204, 304, 101])
async def test_statuses_without_content(make_request: MakeRequest, status: int) -> None:
    request, channel = make_request()
    await request.respond_text("ignored", status=status)
    assert channel.status == status and channel.body == b""
    assert channel.header("content-length") is None and channel.header("content-type") is None


async def test_respond_status(make_request: MakeRequest) -> None:
    request, channel = make_request()
    await request.respond_status(HTTPStatus.ACCEPTED)
    assert channel.status == 202 and channel.header("content-length") == "0"


@pytest.mark.parametrize(("permanent", "status"), [(False, 307), (True, 308)])
async def test_redirects(make_request: MakeRequest, permanent: bool, status: int) -> None:
    request, channel = make_request()
    await request.respond_redirect("/next?a=1 2&b=é", permanent=permanent)
    assert channel.status == status
    assert channel.header("location") == "/next?a=1%202&b=%C3%A9"


async def test_redirect_post_get(make_request: MakeRequest) -> None:
    request, channel = make_request("POST")
    await request.respond_redirect_post_get("https://example.com/done")
    assert channel.status == 303 and channel.header("location") == "https://example.com/done"


@pytest.mark.parametrize("location", ["/x\r\nSet-Cookie: a=1", "/x\n", "/x\x00"])
async def test_redirect_targets_with_controls_are_refused(
    make_request: MakeRequest, location: str
) -> None:
    request, channel = make_request()
    with pytest.raises(HeaderValueError):
        await request.respond_redirect(location)
    assert channel.sent == []


async def test_headers_and_cookies_go_on_the_wire(make_request: MakeRequest) -> None:
    request, channel = make_request()
    request.response.headers.add("x-multi", "1")
    request.response.headers.add("x-multi", "2")
    request.response.cookies.set("a", "1", httponly=True)
    request.response.cookies.set("b", "2", secure=True, samesite="none", partitioned=True)
    await request.respond_text("ok")
    assert channel.headers[2:] == [
        (b"x-multi", b"1"),
        (b"x-multi", b"2"),
        (b"set-cookie", b"a=1; Path=/; HttpOnly; SameSite=Lax"),
        (b"set-cookie", b"b=2; Path=/; Secure; SameSite=None; Partitioned"),
    ]


async def test_a_content_type_header_set_by_the_app_wins(make_request: MakeRequest) -> None:
    request, channel = make_request()
    request.response.headers.set("Content-Type", "text/csv")
    await request.respond_text("a,b")
    assert [v for n, v in channel.headers if n == b"content-type"] == [b"text/csv"]


async def test_responding_twice_is_refused(make_request: MakeRequest) -> None:
    request, channel = make_request()
    await request.respond_text("one")
    with pytest.raises(ResponseStateError, match="cannot respond: response already finished"):
        await request.respond_text("two")
    other = Request(request.scope, channel.receive, channel.send)  # a second view agrees
    assert other.response.is_finished
    with pytest.raises(ResponseStateError):
        await other.respond_json({})
    assert len(channel.sent) == 2


@pytest.mark.parametrize("touched_before", [True, False])
async def test_headers_and_cookies_after_the_response_are_refused(
    make_request: MakeRequest, touched_before: bool
) -> None:
    request, channel = make_request()
    if touched_before:  # objects created before the start, changed after it
        request.response.headers.set("x-early", "1")
        request.response.cookies.set("early", "1")
    await request.respond_text("hi")
    with pytest.raises(ResponseStateError, match="cannot change the headers"):
        request.response.headers.set("x-late", "1")
    with pytest.raises(ResponseStateError):
        request.response.headers.add("x-late", "1")
    with pytest.raises(ResponseStateError):
        del request.response.headers["x-early"]
    with pytest.raises(ResponseStateError, match="cannot set a cookie"):
        request.response.cookies.set("late", "1")
    with pytest.raises(ResponseStateError):
        request.response.cookies.delete("early")
    assert (channel.header("x-early") == "1") is touched_before
    assert channel.header("x-late") is None


async def test_settings_after_start_are_refused(make_request: MakeRequest) -> None:
    request, _ = make_request()
    await request.response.start()
    with pytest.raises(ResponseStateError, match="cannot set the status: response already started"):
        request.response.status = 404
    with pytest.raises(ResponseStateError):
        request.response.media_type = "text/plain"
    with pytest.raises(ResponseStateError):
        await request.response.start()


async def test_write_and_end_need_a_started_response(make_request: MakeRequest) -> None:
    request, _ = make_request()
    with pytest.raises(ResponseStateError, match="cannot write: response not started"):
        await request.response.write(b"x")
    with pytest.raises(ResponseStateError, match="cannot end: response not started"):
        await request.response.end()
    await request.response.start()
    await request.response.end(b"done")
    with pytest.raises(ResponseStateError, match="already finished"):
        await request.response.write(b"x")


# The compiled build checks the declared type of an argument before asgikit's own checks
# run: a value of another type (which a type checker refuses) gets its TypeError.
WRONG_TYPE: type[Exception] = TypeError if COMPILED else HeaderValueError


@pytest.mark.parametrize("status", [99, 600, "200", True])
async def test_invalid_status_is_refused(make_request: MakeRequest, status: Any) -> None:
    request, _ = make_request()
    wrong_type = type(status) not in (int, bool)
    with pytest.raises(WRONG_TYPE if wrong_type else HeaderValueError):
        request.response.status = status


async def test_head_gets_headers_and_no_body(make_request: MakeRequest) -> None:
    request, channel = make_request("HEAD")
    await request.respond_text("hello")
    assert channel.header("content-length") == "5" and channel.body == b""
    request, channel = make_request("HEAD")
    ran = False

    async def stream() -> AsyncIterator[bytes]:
        nonlocal ran
        ran = True
        yield b"x"

    await request.respond_stream(stream())
    assert channel.body == b"" and not ran and request.response.is_finished


async def test_response_writer(make_request: MakeRequest) -> None:
    request, channel = make_request()
    async with request.response_writer(media_type="text/plain", content_length=6) as write:
        await write(b"abc")
        await write(b"def")
    assert channel.header("content-length") == "6"
    assert channel.header("content-type") == "text/plain; charset=utf-8"
    assert channel.body == b"abcdef"
    assert channel.sent[-1] == {"type": "http.response.body", "body": b""}
    assert request.response.is_finished


async def test_response_writer_on_an_asgi_2_4_server(make_request: MakeRequest) -> None:
    """ASGI 2.4: send() raises OSError for a gone client. The write that meets it raises
    ClientDisconnectedError, what was written before was delivered, and the response is
    aborted: started, never finished, refusing every later write."""
    request, channel = make_request(spec_version="2.4")
    with pytest.raises(ClientDisconnectedError):
        async with request.response_writer() as write:
            await write(b"abc")
            channel.send_error = OSError("gone")
            await write(b"def")
    assert channel.body == b"abc"
    assert request.response.is_started and not request.response.is_finished
    with pytest.raises(ClientDisconnectedError):
        await request.response.write(b"late")
    with pytest.raises(ClientDisconnectedError):
        await request.response.end()


async def test_response_writer_leaves_an_error_unfinished(make_request: MakeRequest) -> None:
    request, _ = make_request()
    with pytest.raises(KeyError):
        async with request.response_writer() as write:
            await write(b"abc")
            raise KeyError("boom")
    assert request.response.is_started and not request.response.is_finished


async def test_respond_stream_encodes_str(make_request: MakeRequest) -> None:
    request, channel = make_request()

    async def parts() -> AsyncIterator[str | bytes]:
        yield "é"
        yield b"!"

    await request.respond_stream(parts(), media_type="text/plain")
    assert channel.body == "é!".encode()


async def test_stream_stops_when_the_client_goes_away() -> None:
    """uvicorn-like server (ASGI 2.3): send() never fails, only http.disconnect tells."""
    channel = Channel.with_body(b"")
    request = Request(http_scope(spec_version="2.3"), channel.receive, channel.send)
    first_sent = asyncio.Event()
    never = asyncio.Event()
    cleaned_up = asyncio.Event()

    async def ticks() -> AsyncIterator[bytes]:
        try:
            yield b"tick"
            first_sent.set()
            await never.wait()
            yield b"never"
        finally:
            cleaned_up.set()

    task = asyncio.create_task(request.respond_stream(ticks()))
    await first_sent.wait()
    channel.disconnect()
    with pytest.raises(ClientDisconnectedError):
        await asyncio.wait_for(task, 5)
    assert cleaned_up.is_set()
    assert channel.body == b"tick"
    assert channel.max_concurrent_receives == 1
    # Started, never finished: the response was aborted by the client.
    assert request.response.is_started and not request.response.is_finished
    with pytest.raises(ClientDisconnectedError):
        await request.response.write(b"late")
    with pytest.raises(ClientDisconnectedError):
        await request.response.end()


async def test_stream_iterator_is_closed_when_the_client_left_before_it_started() -> None:
    channel = Channel.with_body(b"")
    channel.send_error = OSError("gone")  # ASGI 2.4: send() raises for a gone client
    request = Request(http_scope(spec_version="2.4"), channel.receive, channel.send)
    closed = False

    class Parts:
        def __aiter__(self) -> Parts:
            return self

        async def __anext__(self) -> bytes:
            return b"x"

        async def aclose(self) -> None:
            nonlocal closed
            closed = True

    with pytest.raises(ClientDisconnectedError):
        await request.respond_stream(Parts())
    assert closed


class FailingParts:
    """An iterator whose next item and whose closing fail."""

    def __init__(self) -> None:
        self.closed = False

    def __aiter__(self) -> FailingParts:
        return self

    async def __anext__(self) -> str:
        raise ValueError("no next part")

    async def aclose(self) -> None:
        self.closed = True
        raise RuntimeError("cannot close")


@pytest.mark.parametrize("kind", ["stream", "events"])
async def test_an_iterator_that_fails_to_close_raises_after_the_error_of_the_stream(
    make_request: MakeRequest, kind: str
) -> None:
    # As a ``finally`` that closes it would: the error of closing, chained to the first.
    request, _ = make_request()
    parts = FailingParts()
    with pytest.raises(RuntimeError, match="cannot close") as raised:
        if kind == "stream":
            await request.respond_stream(parts)
        else:
            await request.respond_event_stream(parts, ping_interval=None)
    assert parts.closed
    assert isinstance(raised.value.__context__, ValueError)
    assert not request.response.is_finished


async def test_send_failure_in_2_4_is_a_disconnect(make_request: MakeRequest) -> None:
    request, channel = make_request(spec_version="2.4")
    channel.send_error = OSError("gone")
    with pytest.raises(ClientDisconnectedError):
        await request.respond_text("x")


async def test_body_messages_taken_by_the_watcher_reach_the_reader() -> None:
    """While a response streams, the disconnect watcher receives; a body read in the same
    request still gets every byte, and receive() is never awaited twice at once."""
    channel = Channel([{"type": "http.request", "body": b"first", "more_body": True}])
    request = Request(http_scope("POST", spec_version="2.3"), channel.receive, channel.send)
    async with request.response_writer() as write:
        # The watcher starts after its 50 ms delay and takes the queued body message; as more
        # body is coming it stops there, so an unread upload is never buffered by it.
        await asyncio.wait_for(channel.wait_for_receive_calls(1), 5)
        channel.push({"type": "http.request", "body": b"second", "more_body": False})
        body = await request.read_bytes()
        await write(body)
    assert body == b"firstsecond"
    assert channel.body == b"firstsecond"
    assert channel.max_concurrent_receives == 1


def test_server_sent_event_encoding() -> None:
    event = ServerSentEvent("line1\nline2\r\nline3", event="update", id="7", retry=1500)
    assert event.encode() == (
        b"event: update\nid: 7\nretry: 1500\ndata: line1\ndata: line2\ndata: line3\n\n"
    )
    assert ServerSentEvent(comment="ping").encode() == b": ping\n\n"
    assert ServerSentEvent("").encode() == b"data: \n\n"


@pytest.mark.parametrize("field", ["event", "id"])
def test_server_sent_event_fields_cannot_forge_others(field: str) -> None:
    with pytest.raises(HeaderValueError):
        options: dict[str, Any] = {field: "a\ndata: forged"}
        ServerSentEvent("x", **options)


async def test_event_stream_sends_events_and_keepalives(make_request: MakeRequest) -> None:
    request, channel = make_request()
    ping_seen = asyncio.Event()
    original_send = channel.send

    async def send(message: Message) -> None:
        await original_send(message)
        if message.get("body") == b": ping\n\n":
            ping_seen.set()

    request = Request(request.scope, channel.receive, send)

    async def events() -> AsyncIterator[ServerSentEvent | str]:
        yield "hello"
        await ping_seen.wait()  # the next event waits until a keep-alive went out
        yield ServerSentEvent("bye", event="end")

    await asyncio.wait_for(request.respond_event_stream(events(), ping_interval=0.01), 5)
    assert channel.header("content-type") == "text/event-stream; charset=utf-8"
    assert channel.header("cache-control") == "no-cache"
    body = channel.body
    assert body.startswith(b"data: hello\n\n: ping\n\n")
    assert body.endswith(b"event: end\ndata: bye\n\n")


async def test_event_stream_stops_cleanly_on_disconnect() -> None:
    channel = Channel.with_body(b"")
    request = Request(http_scope(spec_version="2.3"), channel.receive, channel.send)
    first = asyncio.Event()
    closed = asyncio.Event()

    async def events() -> AsyncIterator[str]:
        try:
            yield "one"
            first.set()
            await asyncio.Event().wait()
            yield "never"
        finally:
            closed.set()

    task = asyncio.create_task(request.respond_event_stream(events(), ping_interval=None))
    await first.wait()
    channel.disconnect()
    await asyncio.wait_for(task, 5)  # returns: a client leaving is how event streams end
    assert closed.is_set()
    assert request.response.is_started and not request.response.is_finished


async def test_through_httpx_asgi_transport() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive, send)
        request.response.cookies.set("seen", "1")
        await request.respond_json({"path": request.path, "q": request.query.get_all("q")})

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        response = await client.get("/p", params=[("q", "1"), ("q", "2")])
    assert response.json() == {"path": "/p", "q": ["1", "2"]}
    assert response.cookies["seen"] == "1"


@pytest.mark.parametrize("spec_version", ["2.3", "2.4"])
async def test_stream_notices_a_gone_client_while_the_body_is_still_coming(
    spec_version: str,
) -> None:
    """The client sends part of a body the app never reads, then leaves: the stream must
    still stop (security review, finding 2)."""
    channel = Channel(
        [
            {"type": "http.request", "body": b"x", "more_body": True},
            {"type": "http.request", "body": b"y", "more_body": True},
        ]
    )
    request = Request(http_scope("POST", spec_version=spec_version), channel.receive, channel.send)
    started = asyncio.Event()
    cleaned_up = asyncio.Event()

    async def ticks() -> AsyncIterator[bytes]:
        try:
            yield b"tick"
            started.set()
            await asyncio.Event().wait()
            yield b"never"
        finally:
            cleaned_up.set()

    task = asyncio.create_task(request.respond_stream(ticks()))
    await started.wait()
    await asyncio.wait_for(channel.wait_for_receive_calls(2), 5)  # the watcher took both
    channel.disconnect()
    with pytest.raises(ClientDisconnectedError):
        await asyncio.wait_for(task, 5)
    assert cleaned_up.is_set()


async def test_event_stream_ends_when_a_client_with_an_unread_body_leaves() -> None:
    channel = Channel([{"type": "http.request", "body": b"x", "more_body": True}])
    request = Request(http_scope("POST", spec_version="2.3"), channel.receive, channel.send)
    closed = asyncio.Event()

    async def events() -> AsyncIterator[str]:
        try:
            while True:
                yield "tick"
                await asyncio.sleep(0.01)
        finally:
            closed.set()

    task = asyncio.create_task(request.respond_event_stream(events(), ping_interval=None))
    await asyncio.wait_for(channel.wait_for_receive_calls(1), 5)
    channel.disconnect()
    await asyncio.wait_for(task, 5)
    assert closed.is_set()


async def test_an_unread_body_past_the_limit_is_dropped_and_reads_then_fail() -> None:
    chunks = [{"type": "http.request", "body": b"z" * 1000, "more_body": True}] * 20
    channel = Channel(chunks)
    request = Request(http_scope("POST", spec_version="2.3"), channel.receive, channel.send)
    request.max_body_size = 5000
    async with request.response_writer() as write:
        await write(b"streaming")
        await asyncio.wait_for(channel.wait_for_receive_calls(20), 5)  # all taken, none kept
    with pytest.raises(BodyStateError, match="dropped"):
        await request.read_bytes()


async def test_a_slow_reader_keeps_every_byte_while_the_watcher_runs() -> None:
    parts = [b"%03d" % i for i in range(50)]
    channel = Channel(
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    )
    request = Request(http_scope("POST", spec_version="2.3"), channel.receive, channel.send)
    request.max_body_size = 10  # the watcher's queue fills fast; it must wait, not drop
    async with request.response_writer() as write:
        stream = request.read_stream()
        received = [await anext(stream)]  # the reader is streaming the body now
        # The watcher starts, queues past the limit, then waits for the reader to drain.
        await asyncio.wait_for(channel.wait_for_receive_calls(5), 5)
        received += [chunk async for chunk in stream]
        await write(b"".join(received))
    assert received == parts
    assert channel.max_concurrent_receives == 1


@pytest.mark.parametrize("status", [99, 600, 1000, -1, "200", True, 200.0])
async def test_invalid_status_given_to_respond_is_refused(
    make_request: MakeRequest, status: Any
) -> None:
    request, channel = make_request()
    wrong_type = type(status) not in (int, bool)
    with pytest.raises(WRONG_TYPE if wrong_type else HeaderValueError):
        await request.respond_text("x", status=status)
    assert channel.sent == [] and not request.response.is_started


@pytest.mark.parametrize("spec_version", ["2.4", "2.10", "3.0"])
async def test_writer_on_newer_servers_turns_send_errors_into_disconnects(
    make_request: MakeRequest, spec_version: str
) -> None:
    request, channel = make_request(spec_version=spec_version)
    with pytest.raises(ClientDisconnectedError):
        async with request.response_writer() as write:
            channel.send_error = OSError("gone")
            await write(b"x")


async def test_compress_opt_out_is_shared_by_the_scope_and_sends_nothing() -> None:
    # A middleware (asgikit-compression) reads the opt-out through its own Request over
    # the same scope; nothing about it reaches the wire.
    channel = Channel()
    scope = http_scope()
    request = Request(scope, channel.receive, channel.send)
    assert request.response.compress is True
    request.response.compress = False
    assert Request(scope, channel.receive, channel.send).response.compress is False
    await request.respond_text("hi")
    assert channel.headers == [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"2"),
    ]
    with pytest.raises(ResponseStateError, match="cannot set compress: response already finished"):
        request.response.compress = True
    assert request.response.compress is False


def test_compress_opt_out_must_be_a_bool(make_request: MakeRequest) -> None:
    request, _ = make_request()
    # The compiled build checks the declared type before asgikit's own check runs.
    message = "bool object expected" if COMPILED else "compress must be a bool"
    with pytest.raises(TypeError, match=message):
        request.response.compress = 0  # type: ignore[assignment]
    assert request.response.compress is True
