"""Server-Sent Events: the parser against a model of the WHATWG rules, fed whole and in
every split, and the event stream of a live endless app, closed mid-stream."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.asgi import Receive, Scope, Send
from asgikit.requests import Request
from asgikit.responses import ServerSentEvent as Outgoing
from asgikit.testclient import AppTimeoutError, EventStreamParser, ServerSentEvent, TestClient


def parse(*chunks: bytes) -> list[ServerSentEvent]:
    parser = EventStreamParser()
    return [event for chunk in chunks for event in parser.feed(chunk)]


def E(data: str, event: str = "message", id: str = "", retry: int | None = None) -> ServerSentEvent:
    return ServerSentEvent(event, data, id, retry)


def test_fields_as_eventsource_reads_them() -> None:
    stream = (
        b"\xef\xbb\xbf: a comment\n"
        b"event: greet\ndata: hello\ndata:  two spaces\ndata\nid: 7\nretry: 1500\n\n"
        b"data:no space\nunknown: x\nretry: 15x\n\n"
        b"id: bad\x00id\ndata: keeps 7\n\n"
        b"event: empty\n\n"
        b"data: after an empty event\n\n"
        b"id\ndata: id cleared\n\n"
        b"data: never dispatched"
    )
    assert parse(stream) == [
        E("hello\n two spaces\n", "greet", "7", 1500),
        E("no space", id="7", retry=1500),
        E("keeps 7", id="7", retry=1500),
        E("after an empty event", id="7", retry=1500),
        E("id cleared", id="", retry=1500),
    ]


def test_line_ends_cr_lf_and_crlf_even_split_between_chunks() -> None:
    expected = [E("a"), E("b"), E("c")]
    assert parse(b"data: a\r\n\r\ndata: b\r\rdata: c\n\n") == expected
    assert parse(b"data: a\r", b"\n\r", b"\ndata: b\r", b"\rdata: c\n", b"\n") == expected


def test_only_a_leading_bom_is_dropped_and_bad_utf8_is_replaced() -> None:
    assert parse(b"\xef\xbb", b"\xbfdata: x\n\n") == [E("x")]
    assert parse(b"data: \xef\xbb\xbfx\n\n") == [E("\ufeffx")]
    assert parse(b"data: \xff\n\n") == [E("\ufffd")]


# A model of the spec, line based, to compare with the character-by-character parser.
def model(stream: bytes) -> list[ServerSentEvent]:
    text = stream.decode("utf-8", errors="replace")
    text = text.removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[:-1]  # the last piece has no line end: never processed
    events: list[ServerSentEvent] = []
    data: list[str] = []
    event, last_id = "", ""
    retry: int | None = None
    for line in lines:
        if line == "":
            if data:
                events.append(ServerSentEvent(event or "message", "\n".join(data), last_id, retry))
            data, event = [], ""
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ") if ":" in line else ""
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            retry = int(value)
    return events


LINES = st.lists(
    st.sampled_from(
        [b"data: x", b"data:y", b"data", b"event: e", b"id: 1", b"id", b"retry: 9",
         b"retry: no", b": c", b"", b"data: \xc3\xa9", b"odd", b"\xef\xbb\xbfdata: z"]
    )
)  # fmt: skip
ENDS = st.sampled_from([b"\n", b"\r", b"\r\n"])


@given(st.lists(st.tuples(LINES, ENDS)), st.booleans())
def test_the_parser_agrees_with_the_model_in_every_split(
    groups: list[tuple[list[bytes], bytes]], bom: bool
) -> None:
    stream = (b"\xef\xbb\xbf" if bom else b"") + b"".join(
        end.join(lines) + end for lines, end in groups
    )
    expected = model(stream)
    assert parse(stream) == expected
    for offset in range(len(stream) + 1):
        assert parse(stream[:offset], stream[offset:]) == expected
    assert parse(*(stream[i : i + 1] for i in range(len(stream)))) == expected


async def test_an_endless_asgikit_event_stream_is_read_then_closed() -> None:
    closed: list[str] = []
    step = asyncio.Event()

    async def ticks() -> AsyncIterator[Outgoing]:
        n = 0
        try:
            while True:
                n += 1
                yield Outgoing(f"tick {n}\nsecond line", event="tick", id=str(n), retry=3000)
                await step.wait()
                step.clear()
        finally:
            closed.append("ticks")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        await request.respond_event_stream(ticks(), ping_interval=None)

    async with TestClient(app) as client:
        async with client.event_stream("/events") as events:
            assert events.response.headers["content-type"].startswith("text/event-stream")
            first = await events.receive()
            step.set()
            second = await anext(events)
        assert first == ServerSentEvent("tick", "tick 1\nsecond line", "1", 3000)
        assert second.id == "2"
        # The EventSource went away: the app saw it, closed its generator and returned.
        assert closed == ["ticks"]
        assert events.exchange.client_left and events.exchange.finished


async def test_a_finite_stream_ends_the_iteration() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send(
            {"type": "http.response.start", "status": 200,
             "headers": [(b"content-type", b"text/event-stream")]}
        )  # fmt: skip
        await send({"type": "http.response.body", "body": b"data: 1\n\nda", "more_body": True})
        await send({"type": "http.response.body", "body": b"ta: 2\n\n"})

    async with TestClient(app) as client, client.event_stream("/") as events:
        assert [event.data async for event in events] == ["1", "2"]
        assert not events.exchange.client_left


async def test_httpx2_eventsource_differs_from_a_browser_where_this_parser_does_not() -> None:
    """Why the client parses events itself: httpx2's ``EventSource`` (which also works
    over this client's streaming transport) keeps a leading BOM in the first field name,
    dispatches an event that has no data, and takes a retry that is not all digits."""
    import httpx2

    body = b"\xef\xbb\xbfdata: a\n\nevent: x\n\nretry: +15\ndata: c\n\n"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async with TestClient(app) as client:
        async with client.stream("GET", "/") as response:
            theirs = [(e.event, e.data, e.retry) async for e in httpx2.EventSource(response)]
        async with client.event_stream("/") as events:
            ours = [(e.event, e.data, e.retry) async for e in events]
    assert theirs == [("x", "", None), ("message", "c", 15)]
    assert ours == [("message", "a", None), ("message", "c", None)]
    assert [(e.event, e.data, e.retry) for e in model(body)] == ours


async def test_a_receive_takes_its_own_timeout_and_lists_what_was_sent() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"data: 1\n\n", "more_body": True})
        await receive()  # the client leaves

    async with TestClient(app) as client, client.event_stream("/") as events:
        assert (await events.receive(timeout=0.01)).data == "1"
        with pytest.raises(AppTimeoutError, match=r"within 0\.01 s") as timeout:
            await events.receive(timeout=0.01)
        assert b"data: 1\n\n" in [m.get("body") for m in timeout.value.sent]


async def test_a_compressed_endless_stream_is_decoded_event_by_event() -> None:
    """httpx2 asks for ``gzip, deflate, br, zstd``; behind a compressing middleware each
    event is one sync-flushed piece of a gzip stream, decoded as it arrives."""
    step = asyncio.Event()
    left: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        accepted = dict(scope["headers"]).get(b"accept-encoding", b"")
        assert b"gzip" in accepted
        headers = [(b"content-type", b"text/event-stream"), (b"content-encoding", b"gzip")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        gzip = zlib.compressobj(wbits=31)
        for n in (1, 2):  # each event is flushed; the gzip stream is never finished
            data = gzip.compress(b"id: %d\ndata: tick %d\n\n" % (n, n))
            data += gzip.flush(zlib.Z_SYNC_FLUSH)
            await send({"type": "http.response.body", "body": data, "more_body": True})
            await step.wait()
        left.append((await receive())["type"])

    async with TestClient(app) as client, client.event_stream("/events") as events:
        assert events.response.headers["content-encoding"] == "gzip"
        first = await events.receive()
        step.set()
        second = await anext(events)
    assert (first.id, first.data) == ("1", "tick 1")
    assert (second.id, second.data) == ("2", "tick 2")
    assert left == ["http.disconnect"]


async def test_no_event_within_a_receive_timeout_then_the_next_one_arrives() -> None:
    """A per-receive timeout fails that receive only: the app goes on and the stream
    stays usable, as with a websocket's ``receive(timeout=)``."""
    gate = asyncio.Event()
    closed: list[str] = []

    async def ticks() -> AsyncIterator[Outgoing]:
        try:
            yield Outgoing("first")
            await gate.wait()
            yield Outgoing("second")
            await asyncio.Event().wait()  # then nothing more until the client leaves
            yield Outgoing("never read")  # pragma: no cover
        finally:
            closed.append("ticks")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive, send).respond_event_stream(ticks(), ping_interval=None)

    async with TestClient(app) as client:
        async with client.event_stream("/events") as events:
            assert (await events.receive()).data == "first"
            with pytest.raises(AppTimeoutError, match=r"no event within 0\.05 s"):
                await events.receive(timeout=0.05)
            assert not events.exchange.finished
            gate.set()
            assert (await events.receive(timeout=1)).data == "second"
            with pytest.raises(AppTimeoutError):
                await events.receive(timeout=0.01)
        # Left with a receive still waiting: the app saw the client go and returned.
        assert closed == ["ticks"]
        assert events.exchange.client_left and events.exchange.finished


async def test_leaving_with_a_receive_waiting_still_bounds_an_app_that_ignores_it() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await asyncio.Event().wait()  # never looks at the disconnect

    async with TestClient(app, timeout=0.05) as client:
        with pytest.raises(AppTimeoutError, match="did not finish after the client left"):
            async with client.event_stream("/") as events:
                with pytest.raises(AppTimeoutError, match="no event"):
                    await events.receive(timeout=0.01)
