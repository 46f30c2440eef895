"""Fan-out: asgikit.pubsub beside broadcaster, in memory and on one redis-server.

    uv run --no-sync python benchmarks/bench_pubsub.py [--quick]

Starts Debian's redis-server on a free loopback port (no persistence) and stops it by
PID at the end. For N = 1, 100, 1,000 subscribers, each a task reading its subscription,
one publisher sends M messages (20,000 / 2,000 / 200; a tenth, at least 200, with --quick),
awaiting each publish and yielding to the loop after it, as a server does between
requests. Each message carries its send time; each subscriber notes the delay when it
gets it. Reported:

- msgs/s: messages published per second, from the first publish until every subscriber
  had every message (deliveries/s is that times N);
- p50 / p99: delivery latency over all deliveries;
- KiB/sub: memory (tracemalloc) one idle subscription costs, over N subscriptions;
- slow reader: one subscriber that never reads while 20,000 messages of 1 KiB are
  published; the memory it holds at the end (asgikit's queue is bounded, 256 by default;
  broadcaster's is not).

asgikit subscriptions here use max_queue=1024, above what a reader that keeps up ever
holds, and the run checks that none dropped a message. Wall-clock figures on a shared
machine move by 10-20 % between runs; compare the columns of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from broadcaster import Broadcast

from asgikit.pubsub import MemoryBroker, RedisBroker

Reader = Callable[[Callable[[str], None], asyncio.Event], Awaitable[None]]


@dataclass
class Contender:
    """One library on one backend: publish(text), and a reader factory."""

    name: str
    publish: Callable[[str], Awaitable[Any]]
    subscribe: Callable[[], AbstractAsyncContextManager[Any]]
    iterate: Callable[[Any], AsyncIterator[str]]


@asynccontextmanager
async def asgikit_contender(name: str, url: str | None) -> AsyncIterator[Contender]:
    broker = RedisBroker(url) if url else MemoryBroker()
    async with broker:

        async def iterate(sub: Any) -> AsyncIterator[str]:
            async for message in sub:
                yield message.data.decode()

        def subscribe() -> AbstractAsyncContextManager[Any]:
            return broker.subscribe("room", max_queue=1024)

        yield Contender(name, lambda text: broker.publish("room", text), subscribe, iterate)


@asynccontextmanager
async def broadcaster_contender(name: str, url: str) -> AsyncIterator[Contender]:
    # broadcaster 0.3.1 with redis-py 8 delivers nothing on the first channel subscribed:
    # its listener runs PubSub.listen() before redis-py has recorded the channel, sees
    # no subscription, and waits for a next subscribe. Holding a first subscription open
    # works around it.
    async with Broadcast(url) as broadcast, broadcast.subscribe(channel="keep"):
        await asyncio.sleep(0.1)

        async def iterate(subscriber: Any) -> AsyncIterator[str]:
            async for event in subscriber:
                yield event.message

        def subscribe() -> AbstractAsyncContextManager[Any]:
            return broadcast.subscribe(channel="room")

        yield Contender(
            name, lambda text: broadcast.publish(channel="room", message=text), subscribe, iterate
        )


async def fan_out(contender: Contender, n: int, m: int) -> dict[str, float]:
    delays: list[int] = []
    received = [0] * n
    done = asyncio.Event()
    warm = [asyncio.Event() for _ in range(n)]
    total = m

    async def reader(i: int, ready: asyncio.Event) -> None:
        async with contender.subscribe() as sub:
            ready.set()
            async for text in contender.iterate(sub):
                if text == "warm":
                    warm[i].set()
                    continue
                delays.append(time.perf_counter_ns() - int(text))
                received[i] += 1
                if received[i] == total and all(r == total for r in received):
                    done.set()

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tasks = []
    for i in range(n):
        # One at a time: broadcaster 0.3.1 keeps only the last of several subscribers
        # that join a new channel at once (each one replaces the channel's set).
        ready = asyncio.Event()
        tasks.append(asyncio.create_task(reader(i, ready)))
        await ready.wait()
    per_sub = (tracemalloc.get_traced_memory()[0] - base) / n
    tracemalloc.stop()
    # Until every subscriber has a warm-up message: the broker has confirmed them all.
    while not all(w.is_set() for w in warm):
        await contender.publish("warm")
        await asyncio.sleep(0.05)
    start = time.perf_counter()
    for _ in range(m):
        await contender.publish(str(time.perf_counter_ns()))
        await asyncio.sleep(0)
    await asyncio.wait_for(done.wait(), 300)
    elapsed = time.perf_counter() - start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    delays.sort()
    return {
        "msgs": m / elapsed,
        "p50": delays[len(delays) // 2] / 1e3,
        "p99": delays[int(len(delays) * 0.99)] / 1e3,
        "kib": per_sub / 1024,
    }


async def slow_reader(contender: Contender, m: int) -> float:
    """KiB held after ``m`` messages of 1 KiB to a subscriber that never reads (a second,
    fast subscriber tells when all have been delivered)."""
    payload = "x" * 1016
    got = 0
    done = asyncio.Event()
    warmed = asyncio.Event()

    async def fast(ready: asyncio.Event) -> None:
        nonlocal got
        async with contender.subscribe() as sub:
            ready.set()
            async for text in contender.iterate(sub):
                if text == "warm":
                    warmed.set()
                    continue
                got += 1
                if got == m:
                    done.set()

    gc.collect()
    async with contender.subscribe():
        ready = asyncio.Event()
        task = asyncio.create_task(fast(ready))
        await ready.wait()
        while not warmed.is_set():  # the broker has confirmed both subscriptions
            await contender.publish("warm")
            await asyncio.sleep(0.05)
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        for i in range(m):
            # A new string each time, as real messages are (one repeated object would
            # cost a queue only a reference).
            await contender.publish(f"{i:08}{payload}")
            await asyncio.sleep(0)
        await asyncio.wait_for(done.wait(), 300)
        held = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return held / 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is missing (Debian: apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--loglevel", "warning"],
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                sys.exit("redis-server did not start")
            time.sleep(0.05)


async def main(quick: bool) -> None:
    process, url = start_redis()
    budget = 20_000 if quick else 200_000
    try:
        contenders = [
            ("asgikit memory", lambda: asgikit_contender("asgikit memory", None)),
            (
                "broadcaster memory",
                lambda: broadcaster_contender("broadcaster memory", "memory://"),
            ),
            ("asgikit redis", lambda: asgikit_contender("asgikit redis", url)),
            ("broadcaster redis", lambda: broadcaster_contender("broadcaster redis", url)),
        ]
        print(f"redis-server {url}; Python {sys.version.split()[0]}")
        print(f"| {'broker':<19} | {'N':>5} | {'M':>6} | {'msgs/s':>8} | {'deliveries/s':>12} "
              f"| {'p50 µs':>8} | {'p99 µs':>8} | {'KiB/sub':>7} |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for n in (1, 100, 1000):
            m = max(200, min(budget // 10, budget // n))
            for name, make in contenders:
                async with make() as contender:
                    r = await fan_out(contender, n, m)
                print(
                    f"| {name:<19} | {n:>5} | {m:>6} | {r['msgs']:>8,.0f} | "
                    f"{r['msgs'] * n:>12,.0f} | {r['p50']:>8,.0f} | {r['p99']:>8,.0f} | "
                    f"{r['kib']:>7.2f} |",
                    flush=True,
                )
        slow = 2_000 if quick else 20_000
        print(f"\nOne subscriber that never reads, {slow:,} messages of 1 KiB:")
        for name, make in contenders:
            async with make() as contender:
                held = await slow_reader(contender, slow)
            print(f"  {name:<19} holds {held:>9,.0f} KiB", flush=True)
    finally:
        process.kill()
        process.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the messages")
    asyncio.run(main(parser.parse_args().quick))
