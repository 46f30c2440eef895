"""Hypothesis: the in-memory broker against a model, for any interleaving of publishing
and reading, any queue size and any resume point."""

from __future__ import annotations

import asyncio
from collections import deque

from hypothesis import given
from hypothesis import strategies as st

from asgikit.pubsub import MemoryBroker

Step = tuple[str, int]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("publish"), st.integers(1, 20)),
        st.tuples(st.just("read"), st.integers(1, 20)),
    ),
    max_size=30,
)


@given(steps=steps, max_queue=st.integers(1, 8))
def test_a_live_queue_is_a_bounded_deque_dropping_the_oldest(
    steps: list[Step], max_queue: int
) -> None:
    async def run() -> None:
        broker = MemoryBroker()
        model: deque[str] = deque(maxlen=max_queue)
        dropped = 0
        n = 0
        async with broker.subscribe("live", max_queue=max_queue) as sub:
            for kind, count in steps:
                if kind == "publish":
                    for _ in range(count):
                        dropped += len(model) == max_queue
                        model.append(str(n))
                        await broker.publish("live", str(n))
                        n += 1
                else:
                    take = min(count, len(model))
                    got = [(await anext(sub)).text() for _ in range(take)]
                    assert got == [model.popleft() for _ in range(take)]
                assert sub.queued == len(model) <= max_queue
                assert sub.dropped == dropped

    asyncio.run(run())


@given(steps=steps, max_queue=st.integers(1, 8))
def test_a_history_reader_gets_everything_once_in_order_with_bounded_memory(
    steps: list[Step], max_queue: int
) -> None:
    async def run() -> None:
        broker = MemoryBroker(history={"feed": 1000})
        published: list[str] = []
        delivered: list[str] = []
        async with broker.subscribe("feed", max_queue=max_queue) as sub:
            for kind, count in steps:
                if kind == "publish":
                    for _ in range(count):
                        published.append(str(len(published)))
                        await broker.publish("feed", published[-1])
                else:
                    for _ in range(min(count, len(published) - len(delivered))):
                        delivered.append((await anext(sub)).text())
                assert delivered == published[: len(delivered)]
                # The queue, plus at most one page read back from the history.
                assert sub.queued <= 2 * max_queue
            assert sub.dropped == 0

    asyncio.run(run())


@given(total=st.integers(0, 40), resume=st.integers(0, 40), page=st.integers(1, 8))
def test_resuming_after_any_id_replays_exactly_the_rest(total: int, resume: int, page: int) -> None:
    async def run() -> None:
        broker = MemoryBroker(history={"feed": 1000})
        ids = [await broker.publish("feed", str(i)) for i in range(total)]
        last_id = ids[resume - 1] if 0 < resume <= total else "0"
        start = resume if 0 < resume <= total else 0
        async with broker.subscribe("feed", last_id=last_id, max_queue=page) as sub:
            await broker.publish("feed", "live")
            got = [(await anext(sub)).text() for _ in range(total - start + 1)]
        assert got == [str(i) for i in range(start, total)] + ["live"]

    asyncio.run(run())
