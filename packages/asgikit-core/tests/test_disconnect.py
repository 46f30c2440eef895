"""The disconnect signal: ``is_disconnected()`` and ``wait_disconnected()`` go through the
request's single receive pump, so they never wait on ``receive()`` beside a body reader
and never lose a body message, whenever they are called."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgikit.asgi import Message
from asgikit.errors import BodyStateError, ClientDisconnectedError, UnsupportedScopeError
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope, websocket_scope

T = TypeVar("T")


def body_messages(chunks: list[bytes]) -> list[Message]:
    return [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]


async def race(request: Request, work: Coroutine[object, object, T]) -> T | None:
    """``work``'s result, or ``None`` when the client left first (then ``work`` is
    cancelled); the pattern the README shows."""
    async with asyncio.TaskGroup() as group:
        job = group.create_task(work)
        gone = group.create_task(request.wait_disconnected())
        job.add_done_callback(lambda _: gone.cancel())
        gone.add_done_callback(lambda _: job.cancel())
    return None if job.cancelled() else job.result()


# -- is_disconnected ---------------------------------------------------------------------


async def test_a_connected_client_is_not_disconnected() -> None:
    channel = Channel.with_body(b"hello")
    request = Request(http_scope("POST"), channel.receive, channel.send)
    assert await request.is_disconnected() is False
    assert await request.read_bytes() == b"hello"  # the polled body message was kept
    assert await request.is_disconnected() is False
    assert await request.is_disconnected() is False
    assert channel.max_concurrent_receives == 1
    channel.disconnect()
    await request.wait_disconnected()


async def test_a_ready_disconnect_is_seen_at_once() -> None:
    channel = Channel([*body_messages([b"ab"]), {"type": "http.disconnect"}])
    request = Request(http_scope("POST"), channel.receive, channel.send)
    assert await request.read_bytes() == b"ab"
    assert await request.is_disconnected() is True
    assert channel.receive_calls == 2


async def test_a_disconnect_after_the_poll_is_seen_by_a_later_call() -> None:
    channel = Channel.with_body(b"")
    request = Request(http_scope(), channel.receive, channel.send)
    await request.read_bytes()
    assert await request.is_disconnected() is False  # leaves one receive() on its way
    channel.disconnect()
    await request.wait_disconnected()  # the same receive() brings it: no second one
    assert await request.is_disconnected() is True
    assert channel.receive_calls == 2
    assert channel.max_concurrent_receives == 1


async def test_polling_during_a_streamed_read_never_receives_beside_it() -> None:
    channel = Channel()
    request = Request(http_scope("POST"), channel.receive, channel.send)
    got: list[bytes] = []

    async def read() -> None:
        async for chunk in request.read_stream():
            got.append(chunk)

    reader = asyncio.create_task(read())
    for i in range(5):
        await channel.wait_for_receive_calls(i + 1)  # the reader is on receive()
        assert await request.is_disconnected() is False
        channel.push({"type": "http.request", "body": b"%d" % i, "more_body": i < 4})
    await reader
    assert got == [b"0", b"1", b"2", b"3", b"4"]
    assert channel.max_concurrent_receives == 1
    assert channel.receive_calls == 5


async def test_polling_stops_at_the_pending_bound_instead_of_buffering_the_body() -> None:
    """An app that polls in a loop without reading the body does not pull a whole
    upload into memory: past 1 MiB queued, polls answer from what is known."""
    chunk = b"x" * 65536
    channel = Channel({"type": "http.request", "body": chunk, "more_body": True} for _ in range(64))
    request = Request(http_scope("POST"), channel.receive, channel.send)
    for _ in range(100):
        assert await request.is_disconnected() is False
    assert channel.receive_calls == 1024 * 1024 // len(chunk)
    channel.push({"type": "http.request", "body": b"", "more_body": False})
    assert len(await request.read_bytes()) == 64 * len(chunk)


@settings(max_examples=150, deadline=None)
@given(
    chunks=st.lists(st.binary(max_size=12), min_size=1, max_size=6),
    lazy=st.booleans(),
    streamed=st.booleans(),
    polls_before=st.integers(0, 3),
    polls_between=st.integers(0, 2),
    polls_after=st.integers(0, 2),
    poller_rounds=st.integers(0, 6),
)
def test_polls_before_during_and_after_reads_lose_no_byte(
    chunks: list[bytes],
    lazy: bool,
    streamed: bool,
    polls_before: int,
    polls_between: int,
    polls_after: int,
    poller_rounds: int,
) -> None:
    """Any interleaving of is_disconnected() calls (in the reading task and in another
    task), with the body queued up front or arriving message by message, read whole or
    streamed: every byte arrives, and receive() is never awaited twice at once."""

    async def scenario() -> None:
        messages = body_messages(chunks)
        channel = Channel([] if lazy else messages)
        request = Request(http_scope("POST"), channel.receive, channel.send)

        async def feed() -> None:
            for message in messages:
                await asyncio.sleep(0)  # one loop turn between messages, not a timer
                channel.push(message)

        async def poll() -> None:
            for _ in range(poller_rounds):
                assert await request.is_disconnected() is False

        for _ in range(polls_before):
            assert await request.is_disconnected() is False
        helpers = [asyncio.create_task(poll())]
        if lazy:
            helpers.append(asyncio.create_task(feed()))
        got: list[bytes] = []
        if streamed:
            async for chunk in request.read_stream():
                got.append(chunk)
                for _ in range(polls_between):
                    assert await request.is_disconnected() is False
        else:
            got.append(await request.read_bytes())
        await asyncio.gather(*helpers)
        for _ in range(polls_after):
            assert await request.is_disconnected() is False
        channel.disconnect()
        await request.wait_disconnected()
        assert await request.is_disconnected() is True
        assert b"".join(got) == b"".join(chunks)
        assert channel.max_concurrent_receives <= 1

    asyncio.run(scenario())


# -- wait_disconnected -------------------------------------------------------------------


async def test_wait_disconnected_returns_when_the_client_leaves() -> None:
    channel = Channel.with_body(b"")
    request = Request(http_scope(), channel.receive, channel.send)
    waiting = asyncio.create_task(request.wait_disconnected())
    await channel.wait_for_receive_calls(2)  # the body message came, then it waits
    assert not waiting.done()
    channel.disconnect()
    await waiting
    assert await request.is_disconnected() is True
    with pytest.raises(ClientDisconnectedError):
        await request.read_bytes()


async def test_body_that_came_while_waiting_reaches_the_reader() -> None:
    channel = Channel(body_messages([b"one", b"two", b"three"]))
    request = Request(http_scope("POST"), channel.receive, channel.send)
    waiting = asyncio.create_task(request.wait_disconnected())
    await channel.wait_for_receive_calls(4)  # all three taken, waiting for the next
    assert await request.read_bytes() == b"onetwothree"
    channel.disconnect()
    await waiting
    assert channel.max_concurrent_receives == 1


async def test_many_waiters_share_one_receive() -> None:
    channel = Channel.with_body(b"")
    request = Request(http_scope(), channel.receive, channel.send)
    waiters = [asyncio.create_task(request.wait_disconnected()) for _ in range(5)]
    await channel.wait_for_receive_calls(2)
    channel.disconnect()
    await asyncio.gather(*waiters)
    assert channel.receive_calls == 2
    assert channel.max_concurrent_receives == 1


async def test_racing_work_against_the_disconnect_cancels_the_work() -> None:
    channel = Channel.with_body(b"")
    request = Request(http_scope(), channel.receive, channel.send)
    started = asyncio.Event()
    cancelled = False

    async def endless() -> str:
        nonlocal cancelled
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled = True
            raise
        return "never"

    racing = asyncio.create_task(race(request, endless()))
    await started.wait()
    channel.disconnect()
    assert await racing is None
    assert cancelled


async def test_work_that_ends_first_is_answered() -> None:
    channel = Channel.with_body(b"")
    request = Request(http_scope(), channel.receive, channel.send)

    async def quick() -> str:
        return "report"

    assert await race(request, quick()) == "report"
    await request.respond_text("report")
    assert channel.body == b"report"


class FragileServer:
    """A server whose ``receive()``, once started, takes the next message off its queue
    whether or not the caller still waits: cancelling the caller loses that message (as
    a future completed from another thread does, granian's)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue()
        self.lost: list[Message] = []
        self.deliveries: set[asyncio.Task[None]] = set()

    async def receive(self) -> Message:
        answer: asyncio.Future[Message] = asyncio.get_running_loop().create_future()

        async def deliver() -> None:
            message = await self.queue.get()
            if answer.cancelled():
                self.lost.append(message)
            else:
                answer.set_result(message)

        task = asyncio.create_task(deliver())
        self.deliveries.add(task)
        task.add_done_callback(self.deliveries.discard)
        return await answer

    async def send(self, message: Message) -> None:
        pass


async def test_a_cancelled_wait_loses_no_message_on_a_fragile_server() -> None:
    server = FragileServer()
    request = Request(http_scope("POST"), server.receive, server.send)

    async def quick() -> str:
        await asyncio.sleep(0)
        return "done"

    # The wait started a receive() that is still out when the work ends and the wait
    # is cancelled; the body that arrives afterwards must still reach the reader.
    assert await race(request, quick()) == "done"
    for message in body_messages([b"kept ", b"whole"]):
        server.queue.put_nowait(message)
    assert await request.read_bytes() == b"kept whole"
    assert server.lost == []


async def test_an_unread_body_past_the_bound_is_dropped_while_waiting() -> None:
    """Nobody reads the body while the app waits for a disconnect: past 1 MiB it is
    dropped (bounded memory), the wait goes on, and a later read says why."""
    chunk = b"x" * 65536
    channel = Channel({"type": "http.request", "body": chunk, "more_body": True} for _ in range(40))
    request = Request(http_scope("POST"), channel.receive, channel.send)
    waiting = asyncio.create_task(request.wait_disconnected())
    await channel.wait_for_receive_calls(41)  # all 40 taken, waiting for the next
    with pytest.raises(BodyStateError, match="dropped"):
        await request.read_bytes()
    channel.disconnect()
    await waiting


async def test_a_streamed_response_and_a_waiter_share_the_watch() -> None:
    channel = Channel.with_body(b"")
    request = Request(http_scope(spec_version="2.3"), channel.receive, channel.send)
    waiting = asyncio.create_task(request.wait_disconnected())
    outcome: list[str] = []

    async def stream() -> None:
        try:
            async with request.response_writer() as write:
                await write(b"start")
                await asyncio.Event().wait()
        except ClientDisconnectedError:
            outcome.append("stopped")

    streaming = asyncio.create_task(stream())
    await channel.wait_for_receive_calls(2)
    channel.disconnect()
    await asyncio.gather(waiting, streaming)
    assert outcome == ["stopped"]
    assert channel.max_concurrent_receives == 1


async def test_the_signal_refuses_a_websocket_scope() -> None:
    """A WebSocket's messages are not the body pump's to take."""
    channel = Channel([{"type": "websocket.connect"}])
    request = Request(websocket_scope(), channel.receive, channel.send)
    with pytest.raises(UnsupportedScopeError, match="is_disconnected"):
        await request.is_disconnected()
    with pytest.raises(UnsupportedScopeError, match="wait_disconnected"):
        await request.wait_disconnected()
    assert channel.receive_calls == 0
