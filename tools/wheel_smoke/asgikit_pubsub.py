"""asgikit-pubsub's smoke app: publish and subscribe through the in-memory broker, resume
a history channel, and RedisBroker without the redis extra naming what to install."""

from __future__ import annotations

import asyncio

from asgikit.errors import MissingDistributionError
from asgikit.pubsub import MemoryBroker, RedisBroker

from .harness import Info, check, main


async def smoke(info: Info) -> None:
    async with MemoryBroker(history={"feed": 10}) as broker:
        async with broker.subscribe("room", max_queue=2) as sub:
            for text in ("a", "b", "c"):
                await broker.publish("room", text)
            got = [(await anext(sub)).text() for _ in range(2)]
            check(got == ["b", "c"] and sub.dropped == 1, f"drop-oldest: {got}, {sub.dropped}")
        ids = [await broker.publish("feed", str(i)) for i in range(3)]
        async with broker.subscribe("feed", last_id=ids[0]) as sub:
            async with asyncio.timeout(5):
                got = [(await anext(sub)).text() for _ in range(2)]
            check(got == ["1", "2"], f"resumed after {ids[0]}: {got}")
    try:
        RedisBroker("redis://127.0.0.1:1/0")
    except MissingDistributionError as exc:
        check("asgikit-pubsub[redis]" in str(exc), f"names the extra: {exc}")
    else:
        check("redis" in info.installed, "RedisBroker without redis-py raises")


if __name__ == "__main__":
    main(smoke)
