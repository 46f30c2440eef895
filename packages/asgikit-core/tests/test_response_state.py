"""The response state tells the truth.

A phase is recorded only once the send that makes it true has succeeded: a refused
response (bad settings) leaves the state as it was, so the app can still answer with an
error; a send that fails because the client is gone (OSError, ASGI 2.4) leaves it
ABORTED, never FINISHED. And a response that may not have a body (1xx, 204, 304, or a
HEAD request) never sends body bytes, streamed or not (RFC 9110 §15.3.5, §15.4.5).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from asgikit.asgi import Message
from asgikit.errors import ClientDisconnectedError, HeaderValueError, ResponseStateError
from asgikit.requests import Request
from asgikit.responses import ResponsePhase, ServerSentEvent
from asgikit.testing import Channel, http_scope

Respond = Callable[[Request], Awaitable[None]]


async def _chunks() -> AsyncIterator[bytes]:
    yield b"a"
    yield b"b"


async def _events() -> AsyncIterator[ServerSentEvent | str]:
    yield "a"


async def _write(request: Request, **options: Any) -> None:
    async with request.response_writer(**options) as write:
        await write(b"a")
        await write(b"b")


RESPONDERS: dict[str, Respond] = {
    "bytes": lambda r: r.respond_bytes(b"x"),
    "text": lambda r: r.respond_text("x"),
    "json": lambda r: r.respond_json([1]),
    "status": lambda r: r.respond_status(204),
    "redirect": lambda r: r.respond_redirect("/x"),
    "writer": _write,
    "stream": lambda r: r.respond_stream(_chunks()),
    "events": lambda r: r.respond_event_stream(_events(), ping_interval=None),
}


class FailingSend:
    """A server whose ``send`` raises ``error`` from the ``after``-th message on."""

    def __init__(self, error: BaseException, after: int) -> None:
        self.error = error
        self.after = after
        self.sent: list[Message] = []
        self.failed = False

    async def __call__(self, message: Message) -> None:
        if len(self.sent) >= self.after:
            self.failed = True
            raise self.error
        self.sent.append(message)


def _request(send: Callable[[Message], Awaitable[None]], **scope: Any) -> Request:
    return Request(http_scope(**scope), Channel.with_body().receive, send)


@pytest.mark.parametrize("name", RESPONDERS)
async def test_a_send_to_a_gone_client_never_leaves_the_response_finished(name: str) -> None:
    # Fail the first send, then the second, ... until a response sends all it has.
    for after in range(10):
        send = FailingSend(OSError("gone"), after)
        request = _request(send)
        try:
            await RESPONDERS[name](request)
        except ClientDisconnectedError:
            assert send.failed
        else:
            # An event stream ends quietly when the client leaves.
            assert name == "events" or not send.failed
        if not send.failed:
            assert request.response.is_finished and after >= 2
            break
        assert not request.response.is_finished
        assert request.response.is_started  # ABORTED: nothing more can be sent
    else:
        pytest.fail("the response never finished")


@pytest.mark.parametrize("name", RESPONDERS)
async def test_a_send_that_fails_otherwise_records_no_phase_it_did_not_reach(name: str) -> None:
    send = FailingSend(RuntimeError("server refused the message"), 0)
    request = _request(send)
    with pytest.raises(RuntimeError, match="server refused"):
        await RESPONDERS[name](request)
    assert not request.response.is_started and not request.response.is_finished


BAD_SETTINGS: dict[str, Respond] = {
    "bytes": lambda r: r.respond_bytes(b"x", media_type="text/html\r\nx: 1"),
    "text": lambda r: r.respond_text("x", media_type="text/html\r\nx: 1"),
    "json": lambda r: r.respond_json([1], media_type="application/json\nx: 1"),
    "status": lambda r: r.respond_status(1000),
    "writer": lambda r: _write(r, media_type="text/html\r\nx: 1"),
    "writer-status": lambda r: _write(r, status=99),
    "stream": lambda r: r.respond_stream(_chunks(), media_type="text/html\r\nx: 1"),
    "events": lambda r: r.respond_event_stream(_events(), status=700),
}


@pytest.mark.parametrize("name", BAD_SETTINGS)
async def test_a_refused_response_leaves_the_state_as_it_was(name: str) -> None:
    channel = Channel.with_body()
    request = Request(http_scope(), channel.receive, channel.send)
    request.response.cookies.set("a", "1")
    with pytest.raises(HeaderValueError):
        await BAD_SETTINGS[name](request)
    assert channel.sent == []
    assert not request.response.is_started and not request.response.is_finished
    # The app's error handler can still change the response and answer.
    request.response.headers.set("x-error", "1")
    await request.respond_text("bad", status=500)
    assert channel.status == 500 and channel.header("x-error") == "1"
    assert channel.header("set-cookie") is not None


@pytest.mark.parametrize("status", [100, 103, 204, 304])
@pytest.mark.parametrize("spec_version", ["2.3", "2.4"])
@pytest.mark.parametrize("name", ["writer", "stream", "events"])
async def test_a_streamed_response_without_a_body_sends_no_body_bytes(
    status: int, spec_version: str, name: str
) -> None:
    channel = Channel.with_body()
    request = Request(http_scope(spec_version=spec_version), channel.receive, channel.send)
    request.response.status = status
    await RESPONDERS[name](request)
    assert channel.status == status
    assert all(not m.get("body") for m in channel.sent if m["type"] == "http.response.body")
    assert channel.header("content-length") is None
    assert request.response.is_finished


@pytest.mark.parametrize("status", [204, 304])
async def test_end_with_data_drops_it_when_there_is_no_body(status: int) -> None:
    channel = Channel.with_body()
    request = Request(http_scope(), channel.receive, channel.send)
    await request.response.start(status=status, content_length=5)
    await request.response.write(b"x")
    await request.response.end(b"tail")
    assert channel.body == b"" and channel.header("content-length") is None


class GatedSend:
    """A server whose ``send`` of the ``gate``-th message waits until released."""

    def __init__(self, gate: int) -> None:
        self.gate = gate
        self.sent: list[Message] = []
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, message: Message) -> None:
        if len(self.sent) == self.gate:
            self.entered.set()
            await self.release.wait()
        self.sent.append(message)


@pytest.mark.parametrize("second", RESPONDERS)
@pytest.mark.parametrize("first", ["bytes", "json", "status", "writer"])
@pytest.mark.parametrize("gate", ["start", "end"])
async def test_two_concurrent_responses_send_one(first: str, second: str, gate: str) -> None:
    # The first response is held inside send(): of its start, or of its last message.
    send = GatedSend(0 if gate == "start" else 1 if first != "writer" else 3)
    request = _request(send)
    task = asyncio.ensure_future(RESPONDERS[first](request))
    await send.entered.wait()
    phase = ResponsePhase.STARTING if gate == "start" else ResponsePhase.FINISHING
    assert request.response.phase is phase
    with pytest.raises(
        ResponseStateError,
        match=f"cannot (respond|start|change the headers): response {phase.value}",
    ):
        await RESPONDERS[second](request)
    send.release.set()
    await task
    assert request.response.phase is ResponsePhase.FINISHED
    assert [m["type"] for m in send.sent].count("http.response.start") == 1
    assert not send.sent[-1].get("more_body", False)


async def test_a_refused_last_message_leaves_the_response_started() -> None:
    send = FailingSend(RuntimeError("server refused the message"), 1)
    request = _request(send)
    with pytest.raises(RuntimeError, match="server refused"):
        await request.respond_bytes(b"x")
    assert request.response.phase is ResponsePhase.STARTED
    send.after = 2
    await request.response.end(b"x")
    assert request.response.is_finished


@pytest.mark.parametrize("after", [0, 1])
async def test_a_gone_client_aborts_from_any_phase(after: int) -> None:
    request = _request(FailingSend(OSError("gone"), after))
    with pytest.raises(ClientDisconnectedError):
        await request.respond_text("x")
    assert request.response.phase is ResponsePhase.ABORTED
    with pytest.raises(ClientDisconnectedError, match="cannot respond: the client disconnected"):
        await request.respond_text("x")


async def test_a_gone_client_leaves_nothing_behind_for_the_next_request_of_a_server() -> None:
    # A server runs each request in a task of its own: a stream whose last send failed
    # does not touch the next request's, in either build.
    async def one(after: int) -> tuple[bool, bool]:
        send = FailingSend(OSError(f"gone {after}"), after)
        request = _request(send)
        try:
            await RESPONDERS["stream"](request)
        except ClientDisconnectedError:
            return True, send.failed
        return False, send.failed

    outcomes = [await asyncio.create_task(one(after)) for after in range(6)]
    assert outcomes == [(True, True)] * 4 + [(False, False)] * 2


async def test_a_gone_client_leaves_nothing_behind_when_the_response_is_the_task() -> None:
    # The response coroutine itself as a task (as asyncio.wait_for() or create_task()
    # run it): a stream whose last send failed leaves no error for the next one.
    outcomes = []
    for after in range(6):
        send = FailingSend(OSError(f"gone {after}"), after)
        try:
            await asyncio.create_task(_request(send).respond_stream(_chunks()))
        except ClientDisconnectedError as exc:
            outcomes.append((True, send.failed, exc.__cause__ is send.error))
        else:
            outcomes.append((False, send.failed, False))
    assert outcomes == [(True, True, True)] * 4 + [(False, False, False)] * 2


@pytest.mark.parametrize("name", RESPONDERS)
async def test_a_response_sent_while_the_app_handles_an_error_succeeds(name: str) -> None:
    # An app may answer from an ``except`` block: the error it is handling belongs to the
    # app, not to the response, which sends everything and returns.
    channel = Channel.with_body()
    request = Request(http_scope(), channel.receive, channel.send)
    try:
        raise LookupError("handled by the app")
    except LookupError:
        await RESPONDERS[name](request)
    assert request.response.is_finished
    assert channel.sent[-1].get("more_body", False) is False
