"""The Redis broker against a real redis-server: a server that is down, and one that
restarts under open subscriptions."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

import pytest

from asgikit.errors import MissingDistributionError
from asgikit.pubsub import BrokerUnavailableError, Message, RedisBroker, Subscription

if TYPE_CHECKING:
    from conftest import RedisServer

HANG = 60.0  # bounds a hang only


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def next_message(sub: Subscription) -> Message:
    async with asyncio.timeout(HANG):
        return await anext(sub)


async def test_a_broker_down_at_start_up_is_a_clear_error() -> None:
    port = free_port()  # nothing listens there
    broker = RedisBroker(f"redis://127.0.0.1:{port}/0", connect_timeout=2.0)
    with pytest.raises(BrokerUnavailableError, match=rf"127\.0\.0\.1:{port}.*connect_timeout"):
        async with broker:
            pass
    with pytest.raises(BrokerUnavailableError, match="publish"):
        await broker.publish("a", "x")
    with pytest.raises(BrokerUnavailableError, match="subscribe"):
        async with broker.subscribe("feed"):
            pass
    await broker.close()


async def test_a_server_that_never_answers_is_an_error_after_connect_timeout() -> None:
    # A server that accepts the connection and never says a word.
    silent: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    broker = RedisBroker(f"redis://127.0.0.1:{port}/0", connect_timeout=0.5)
    with pytest.raises(BrokerUnavailableError, match=r"connect_timeout=0\.5"):
        await broker.connect()
    await broker.close()
    for writer in silent:
        writer.close()
        await writer.wait_closed()
    server.close()
    await server.wait_closed()


async def test_an_unconfirmed_subscription_is_an_error(redis_server: RedisServer) -> None:
    async with RedisBroker(redis_server.url, connect_timeout=1.0) as broker:
        redis_server.stop()
        with pytest.raises(BrokerUnavailableError, match="did not confirm"):
            async with broker.subscribe("a"):
                pass
        assert broker.subscriber_count("a") == 0


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="backoff_max"):
        RedisBroker(backoff_initial=1.0, backoff_max=0.5)
    with pytest.raises(ValueError, match="positive int"):
        RedisBroker(history={"a": 0})
    assert issubclass(BrokerUnavailableError, ConnectionError)
    assert not issubclass(BrokerUnavailableError, MissingDistributionError)


async def test_subscriptions_survive_a_server_restart(redis_server: RedisServer) -> None:
    """Pub/sub is at-most-once across the restart: probes published before this
    process has resubscribed are lost, nothing is delivered twice or out of order,
    and everything after the first probe that arrives is delivered. The stream reader
    carries on from the last id it saw."""
    async with (
        RedisBroker(redis_server.url, history={"feed": 1000}, backoff_max=0.2) as broker,
        broker.subscribe("a", "feed", max_queue=1000) as sub,
    ):
        await broker.publish("a", "before")
        await broker.publish("feed", "kept-before")
        assert [(await next_message(sub)).text() for _ in range(2)] == ["before", "kept-before"]

        redis_server.restart()
        sent: list[str] = []
        probe = 0
        async with asyncio.timeout(HANG):
            while True:
                try:
                    await broker.publish("a", f"probe-{probe}")
                except BrokerUnavailableError:
                    pass  # the publisher's own pooled connection is reconnecting
                else:
                    sent.append(f"probe-{probe}")
                probe += 1
                try:
                    async with asyncio.timeout(0.2):
                        first = await anext(sub)
                    break
                except TimeoutError:
                    continue
        assert first.channel == "a" and first.text() in sent
        lost = sent.index(first.text())  # the probes published before resubscribing
        for i in range(20):
            await broker.publish("a", f"after-{i}")
            await broker.publish("feed", f"kept-{i}")
        rest = [(await next_message(sub)).text() for _ in range(len(sent) - lost - 1 + 40)]
        assert rest[: len(sent) - lost - 1] == sent[lost + 1 :]
        live = [t for t in rest if t.startswith("after-")]
        kept = [t for t in rest if t.startswith("kept-")]
        assert live == [f"after-{i}" for i in range(20)]
        assert kept == [f"kept-{i}" for i in range(20)]
        assert broker.reconnects >= 2  # the pub/sub reader and the stream reader
        assert broker.subscriber_count("a") == 1


async def test_the_server_forgets_a_channel_nobody_here_reads(redis_server: RedisServer) -> None:
    from redis.asyncio import Redis

    async with RedisBroker(redis_server.url) as broker:
        probe = Redis.from_url(redis_server.url)
        try:
            async with broker.subscribe("a"), broker.subscribe("a"):
                assert await probe.pubsub_numsub("a") == [(b"a", 1)]  # one connection
            # Changes reach the server in order: once "b" is confirmed, "a" has gone.
            async with broker.subscribe("b"):
                assert await probe.pubsub_numsub("a", "b") == [(b"a", 0), (b"b", 1)]
                assert await broker.publish("a", "nobody") is None
        finally:
            await probe.aclose()
