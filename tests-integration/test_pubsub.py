"""asgikit.pubsub with real parts: Debian's redis-server on a free loopback port (started
and stopped by PID here, without persistence) and the showcase's chat and clock served by
two separate uvicorn processes on two ports, standing for two hosts. The same scenarios
run against the in-memory broker (one process) where they apply.

Nothing waits on the clock to synchronise: each wait is for a message or a server, and
a deadline only turns a hang into a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from asgikit.pubsub import Broker, MemoryBroker, RedisBroker
from asgikit.testclient import EventStreamParser

HANG = 60.0
EXAMPLES = Path(__file__).parent.parent / "examples"
RunningServer = Any  # conftest's RunningServer, which a test module cannot import


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """A redis-server of this test: ``--save '' --appendonly no``, stopped by PID."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[str] | None = None
        self.log: list[str] = []

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is missing (Debian: apt-get install redis-server)"
        process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        self.process = process
        ready = threading.Event()

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                self.log.append(line)
                if "Ready to accept connections" in line:
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        assert ready.wait(HANG) and process.poll() is None, "".join(self.log)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()


Serve = Callable[..., RunningServer]


def two_hosts(serve: Serve, target: str, backend: str, request: Any) -> list[RunningServer]:
    """Two uvicorn processes sharing one Redis, or one process with the memory broker."""
    if backend == "memory":
        one = serve(target, app_dir=EXAMPLES)
        return [one, one]
    url = request.getfixturevalue("redis_server").url
    return [serve(target, app_dir=EXAMPLES, env={"REDIS_URL": url}) for _ in range(2)]


def chat(stack: contextlib.ExitStack, host: RunningServer) -> ClientConnection:
    return stack.enter_context(connect(host.ws_url + "/ws", open_timeout=HANG))


def say(ws: ClientConnection, name: str, text: str) -> None:
    ws.send(json.dumps({"name": name, "text": text}))


def hear(ws: ClientConnection, timeout: float = HANG) -> tuple[str, str]:
    data = json.loads(ws.recv(timeout=timeout))
    return data["name"], data["text"]


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_chat_clients_on_two_hosts_hear_both_sides_in_order(
    serve: Serve, backend: str, request: pytest.FixtureRequest
) -> None:
    a, b = two_hosts(serve, "ws_chat:app", backend, request)
    with contextlib.ExitStack() as stack:
        clients = [chat(stack, host) for host in (a, a, b, b)]
        for i in range(25):
            say(clients[0], "alice@a", str(i))
            say(clients[2], "bob@b", str(i))
        for ws in clients:
            heard = [hear(ws) for _ in range(50)]
            for name in ("alice@a", "bob@b"):
                assert [t for n, t in heard if n == name] == [str(i) for i in range(25)]
    for host in {a.port: a, b.port: b}.values():
        log = host.stop()
        assert "Traceback" not in log, log


def sse_events(response: httpx.Response, count: int) -> list[tuple[str, str]]:
    """The first ``count`` events' (id, data), parsed as a browser's EventSource does."""
    parser = EventStreamParser()
    got: list[tuple[str, str]] = []
    for chunk in response.iter_bytes():
        got += [(event.id, event.data) for event in parser.feed(chunk)]
        if len(got) >= count:
            break
    return got[:count]


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_sse_client_resumes_on_the_other_host_with_exactly_what_it_missed(
    serve: Serve, backend: str, request: pytest.FixtureRequest
) -> None:
    a, b = two_hosts(serve, "sse_clock:app", backend, request)
    with httpx.Client(timeout=HANG) as client:
        with client.stream("GET", a.url + "/events") as response:
            first = sse_events(response, 3)
        # The connection dropped after the second event (the third is "missed"); the
        # browser reconnects, reaching the other host, with the last id it saw.
        last_seen = first[1][0]
        headers = {"last-event-id": last_seen}
        with client.stream("GET", b.url + "/events", headers=headers) as response:
            resumed = sse_events(response, 5)
    assert resumed[0] == first[2]  # the missed one comes first, nothing before it
    ids = [event_id for event_id, _ in resumed]
    assert len(set(ids)) == len(ids) and last_seen not in ids
    if backend == "redis":
        # Exactly the stream's entries after the last id seen: no gap, nothing twice.
        with redis.Redis.from_url(request.getfixturevalue("redis_server").url) as r:
            kept = r.xrange("clock", f"({last_seen}", "+", count=5)
        assert [(i.decode(), f[b"d"].decode()) for i, f in kept] == resumed
        senders = {data.split()[1] for _, data in resumed}
        assert len(senders) == 2, senders  # ticks of both processes, in one stream
    else:
        # The memory broker's ids: "<its creation ms>-<n>", n consecutive here.
        boot, _, seen = last_seen.partition("-")
        assert ids == [f"{boot}-{n}" for n in range(int(seen) + 1, int(seen) + 6)]
    bad = httpx.get(b.url + "/events", headers={"last-event-id": "1;DROP"}, timeout=HANG)
    assert bad.status_code == 400


def test_a_redis_restart_loses_no_subscriber_and_only_the_outage(
    serve: Serve, redis_server: RedisServer
) -> None:
    env = {"REDIS_URL": redis_server.url}
    a, b = (serve("ws_chat:app", app_dir=EXAMPLES, env=env) for _ in range(2))
    with contextlib.ExitStack() as stack:
        alice, bob = chat(stack, a), chat(stack, b)
        say(alice, "alice", "before")
        assert hear(bob) == hear(alice) == ("alice", "before")

        redis_server.kill()
        # While Redis is away a message is refused, and the sender told so.
        say(alice, "alice", "during")
        assert hear(alice) == ("server", "not sent, try again")
        redis_server.start()  # a fresh server on the same port, with no state

        # At-most-once: what alice says before both processes have resubscribed is
        # lost. Each probe waits for bob a little; the first one heard proves the
        # path is back.
        probe = 0
        while True:
            say(alice, "alice", f"probe-{probe}")
            try:
                name, text = hear(bob, timeout=0.5)
            except TimeoutError:
                probe += 1
                assert probe < 200, "the chat never came back"
                continue
            if name == "alice":
                break
        assert text.startswith("probe-")
        # From here on, everything, both ways, in order.
        for i in range(10):
            say(alice, "alice", f"after-{i}")
            say(bob, "bob", f"after-{i}")
        heard_by_bob = [hear(bob) for _ in range(20)]
        heard_by_alice = []
        while len([h for h in heard_by_alice if h[1].startswith("after-")]) < 20:
            heard_by_alice.append(hear(alice))
        for heard in (heard_by_bob, [h for h in heard_by_alice if h[1].startswith("after-")]):
            for name in ("alice", "bob"):
                assert [t for n, t in heard if n == name] == [f"after-{i}" for i in range(10)]
    for host in (a, b):
        log = host.stop()
        assert "Traceback" not in log, log


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_a_thousand_subscribers_and_one_slow_reader_keep_memory_bounded(
    backend: str, request: pytest.FixtureRequest
) -> None:
    broker: Broker = (
        MemoryBroker()
        if backend == "memory"
        else RedisBroker(request.getfixturevalue("redis_server").url)
    )
    payload = b"x" * 4096
    # Fewer through Redis, where each message wakes the 999 readers on its own.
    warm_up, more = (250, 1000) if backend == "memory" else (100, 500)
    async with broker:
        fast_done = asyncio.Event()
        counts = [0] * 999
        total = 0

        async def fast(n: int, ready: asyncio.Event) -> None:
            async with broker.subscribe("room", max_queue=64) as sub:
                ready.set()
                async for _ in sub:
                    counts[n] += 1
                    if counts[n] == total and all(c == total for c in counts):
                        fast_done.set()

        readies = [asyncio.Event() for _ in counts]
        tasks = [asyncio.create_task(fast(n, readies[n])) for n in range(len(counts))]
        for ready in readies:
            await ready.wait()
        async with broker.subscribe("room", max_queue=64) as slow:

            async def publish(count: int) -> None:
                # In batches smaller than the fast readers' queues, each batch read by
                # all 999 before the next, as readers that keep up do.
                nonlocal total
                for _ in range(count // 50):
                    total += 50
                    fast_done.clear()
                    for _ in range(50):
                        await broker.publish("room", payload)
                    async with asyncio.timeout(HANG):
                        await fast_done.wait()

            tracemalloc.start()
            try:
                await publish(warm_up)
                before = tracemalloc.get_traced_memory()[0]
                await publish(more)
                after = tracemalloc.get_traced_memory()[0]
            finally:
                tracemalloc.stop()
            assert slow.queued == 64
            assert slow.dropped == warm_up + more - 64
            assert all(count == warm_up + more for count in counts)
            # `more` messages of 4 KiB (2 MB or more) left the traced memory where it
            # was: the slow queue holds 64 of them whatever the count.
            assert after - before < 512 * 1024, (before, after)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
