"""The broker interface, run against both brokers (in memory and a real redis-server).

Nothing here waits on the clock: a message that a Redis broker delivers later is awaited
by reading it (``asyncio.timeout`` only bounds a hang), and where a slow subscriber must
have been offered everything, a second subscriber on the same channel, which the broker
serves in the same dispatch, tells when.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from asgikit.pubsub import (
    Broker,
    InvalidEventIdError,
    MemoryBroker,
    Message,
    SubscriberOverflowError,
    Subscription,
    SubscriptionStateError,
)

HANG = 30.0  # bounds a hang only; a healthy run never comes near it


async def take(sub: Subscription, count: int) -> list[Message]:
    got: list[Message] = []
    async with asyncio.timeout(HANG):
        async for message in sub:
            got.append(message)
            if len(got) == count:
                break
    return got


async def test_publish_reaches_each_subscribed_channel_in_order(broker: Broker) -> None:
    async with broker.subscribe("a", "b") as sub:
        assert await broker.publish("a", "é1") is None
        await broker.publish("c", b"not subscribed")
        await broker.publish("b", b"\x00\xff")
        await broker.publish("a", b"3")
        got = await take(sub, 3)
    assert got == [Message("a", "é1".encode()), Message("b", b"\x00\xff"), Message("a", b"3")]
    assert got[0].text() == "é1"


async def test_many_messages_keep_the_publisher_order(broker: Broker) -> None:
    async with (
        broker.subscribe("a", max_queue=300) as first,
        broker.subscribe("a", max_queue=300) as second,
    ):
        for i in range(300):
            await broker.publish("a", str(i))
        for sub in (first, second):
            assert [m.text() for m in await take(sub, 300)] == [str(i) for i in range(300)]


async def test_leaving_the_block_unsubscribes(broker: Broker) -> None:
    async with broker.subscribe("a", "feed") as sub:
        assert broker.subscriber_count("a") == broker.subscriber_count("feed") == 1
        await broker.publish("a", "x")
        await take(sub, 1)
    assert broker.subscriber_count("a") == broker.subscriber_count("feed") == 0
    with pytest.raises(SubscriptionStateError, match="inside its async with"):
        await anext(sub)


async def test_a_cancelled_reader_unsubscribes(broker: Broker) -> None:
    entered = asyncio.Event()

    async def reader() -> None:
        async with broker.subscribe("a") as sub:
            entered.set()
            async for _ in sub:
                pass

    task = asyncio.create_task(reader())
    await entered.wait()
    assert broker.subscriber_count("a") == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert broker.subscriber_count("a") == 0
    # The broker still works for the next subscriber.
    async with broker.subscribe("a") as sub:
        await broker.publish("a", "after")
        assert [m.text() for m in await take(sub, 1)] == ["after"]


async def test_a_full_queue_drops_the_oldest_and_counts(broker: Broker) -> None:
    async with (
        broker.subscribe("a", max_queue=8) as slow,
        broker.subscribe("a", max_queue=1000) as witness,
    ):
        for i in range(100):
            await broker.publish("a", str(i))
        await take(witness, 100)  # the slow one has been offered all 100 too
        assert (slow.queued, slow.dropped) == (8, 92)
        assert [m.text() for m in await take(slow, 8)] == [str(i) for i in range(92, 100)]


async def test_overflow_error_ends_the_subscription(broker: Broker) -> None:
    async with (
        broker.subscribe("a", max_queue=4, overflow="error") as strict,
        broker.subscribe("a") as witness,
    ):
        for i in range(5):
            await broker.publish("a", str(i))
        await take(witness, 5)
        assert broker.subscriber_count("a") == 1  # the strict one has left already
        assert strict.queued == 0
        with pytest.raises(SubscriberOverflowError, match="max_queue=") as caught:
            await anext(strict)
        assert caught.value.max_queue == 4


async def test_history_channel_gives_ids_in_order(broker: Broker) -> None:
    async with broker.subscribe("feed") as sub:
        ids = [await broker.publish("feed", str(i)) for i in range(5)]
        got = await take(sub, 5)
    assert all(isinstance(i, str) for i in ids)
    assert [(m.id, m.text()) for m in got] == [(ids[i], str(i)) for i in range(5)]


async def test_last_id_replays_what_came_after_then_goes_live(broker: Broker) -> None:
    ids = [await broker.publish("feed", str(i)) for i in range(10)]
    assert ids[3] is not None
    async with broker.subscribe("feed", last_id=ids[3]) as sub:
        await broker.publish("feed", "10")
        got = await take(sub, 7)
        await broker.publish("feed", "11")
        got += await take(sub, 1)
    assert [m.text() for m in got] == [str(i) for i in range(4, 12)]


async def test_a_last_id_newer_than_the_channel_holds_starts_at_the_present(
    broker: Broker,
) -> None:
    """An id from another broker (a restarted process, another server) that is newer
    than anything the channel keeps: the subscription starts at the present instead of
    waiting, silently, until new ids pass it."""
    await broker.publish("feed", "old")
    async with broker.subscribe("feed", last_id="99999999999999-5") as sub:
        await broker.publish("feed", "new")
        assert [m.text() for m in await take(sub, 1)] == ["new"]


async def test_memory_ids_are_time_prefixed_so_a_restart_resumes() -> None:
    before = MemoryBroker(history={"feed": 100})
    old = [await before.publish("feed", str(i)) for i in range(3)]
    assert all(i is not None and re.fullmatch(r"\d{13,}-\d+", i) for i in old)
    assert [i.split("-")[1] for i in old if i] == ["1", "2", "3"]
    # The process restarts: a new broker, an empty history. A browser resumes with the
    # old process's id, or a bare number of the old format: it gets what comes next.
    for last_id in (old[-1], "500"):
        assert last_id is not None
        after = MemoryBroker(history={"feed": 100})
        async with after, after.subscribe("feed", last_id=last_id) as sub:
            await after.publish("feed", "first")
            assert [m.text() for m in await take(sub, 1)] == ["first"]


async def test_without_last_id_a_history_channel_starts_at_the_present(broker: Broker) -> None:
    await broker.publish("feed", "old")
    async with broker.subscribe("feed") as sub:
        await broker.publish("feed", "new")
        assert [m.text() for m in await take(sub, 1)] == ["new"]


async def test_a_slow_history_reader_catches_up_without_loss(broker: Broker) -> None:
    async with (
        broker.subscribe("feed", max_queue=4) as slow,
        broker.subscribe("feed", max_queue=1000) as witness,
    ):
        for i in range(50):
            await broker.publish("feed", str(i))
        await take(witness, 50)
        assert slow.queued <= 4
        got = [m.text() for m in await take(slow, 10)]
        for i in range(50, 60):  # live messages arrive while it catches up
            await broker.publish("feed", str(i))
        got += [m.text() for m in await take(slow, 50)]
        assert slow.dropped == 0
    assert got == [str(i) for i in range(60)]


async def test_history_is_capped(broker: Broker) -> None:
    for i in range(500):
        await broker.publish("small", str(i))
    replayed: list[str] = []
    async with broker.subscribe("small", last_id="0", max_queue=1000) as sub:
        await broker.publish("small", "live")
        async with asyncio.timeout(HANG):
            async for message in sub:
                if message.text() == "live":
                    break
                replayed.append(message.text())
    # The newest are kept, in order: 5 with "live" in memory; Redis trims "MAXLEN ~ 5"
    # by whole stream nodes (stream-node-max-entries, 100 by default), so 5 to 105.
    assert 4 <= len(replayed) <= 104
    assert replayed == [str(i) for i in range(500 - len(replayed), 500)]


async def test_a_bad_last_id_is_a_400_before_subscribing(broker: Broker) -> None:
    for bad in ("", "x", "1-", "-1", "1-2-3", "1" * 21, " 1"):
        with pytest.raises(InvalidEventIdError) as caught:
            broker.subscribe("feed", last_id=bad)
        assert caught.value.status_code == 400
    assert broker.subscriber_count("feed") == 0


async def test_closing_the_broker_ends_iteration(broker: Broker) -> None:
    async with broker.subscribe("a") as sub:
        await broker.close()
        assert [m async for m in sub] == []
        assert broker.subscriber_count("a") == 0
    with pytest.raises(SubscriptionStateError, match="closed"):
        async with broker.subscribe("a"):
            pass


async def test_misuse_is_refused(broker: Broker) -> None:
    sub = broker.subscribe("a")
    with pytest.raises(SubscriptionStateError, match="inside its async with"):
        await anext(sub)
    async with sub:
        with pytest.raises(SubscriptionStateError, match="cannot enter"):
            await sub.__aenter__()
    with pytest.raises(ValueError, match="at least one channel"):
        broker.subscribe()
    with pytest.raises(ValueError, match="non-empty str"):
        broker.subscribe("")
    with pytest.raises(ValueError, match="max_queue"):
        broker.subscribe("a", max_queue=0)
    with pytest.raises(ValueError, match="overflow"):
        broker.subscribe("a", overflow="grow")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unknown subscribe option"):
        broker.subscribe("a", maxqueue=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="bytes or str"):
        await broker.publish("a", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty str"):
        await broker.publish("x" * 2000, "")
