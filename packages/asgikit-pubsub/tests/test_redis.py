"""The Redis broker against a real redis-server: a server that is down, and one that
restarts under open subscriptions."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Any

import pytest

from asgikit.errors import MissingDistributionError
from asgikit.pubsub import (
    BrokerRefusedError,
    BrokerUnavailableError,
    Message,
    RedisBroker,
    Subscription,
)

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


async def kill_normal_clients(url: str) -> None:
    """Close every plain (non pub/sub) connection of the server but this one's: what a
    server's idle ``timeout``, a proxy's idle cut or a restart does to a pooled one."""
    from redis.asyncio import Redis

    killer: Any = Redis.from_url(url)  # execute_command is untyped
    try:
        me = await killer.client_id()
        for client in await killer.client_list(_type="normal"):
            if int(client["id"]) != me:
                await killer.execute_command("CLIENT", "KILL", "ID", client["id"])
    finally:
        await killer.aclose()


async def test_publish_survives_a_pooled_connection_the_server_closed(
    redis_server: RedisServer,
) -> None:
    async with RedisBroker(redis_server.url, history={"feed": 10}) as broker:
        await broker.publish("a", "warm")  # the pool now holds a connection
        await broker.publish("feed", "warm")
        await kill_normal_clients(redis_server.url)
        assert await broker.publish("a", "after") is None
        await kill_normal_clients(redis_server.url)
        assert await broker.publish("feed", "after") is not None


async def test_a_history_subscribe_survives_a_pooled_connection_the_server_closed(
    redis_server: RedisServer,
) -> None:
    async with RedisBroker(redis_server.url, history={"feed": 10}) as broker:
        await broker.publish("feed", "old")
        await kill_normal_clients(redis_server.url)
        async with broker.subscribe("feed") as sub:
            await broker.publish("feed", "new")
            assert (await next_message(sub)).text() == "new"


async def test_close_ends_a_subscriber_catching_up_during_an_outage(
    redis_server: RedisServer,
) -> None:
    broker = RedisBroker(redis_server.url, history={"feed": 10}, connect_timeout=1.0)
    await broker.connect()
    await broker.publish("feed", "kept")
    async with broker.subscribe("feed", last_id="0") as sub:
        redis_server.stop()
        # Spy on the history read: once one has failed, the reader is in its retry loop.
        failed = asyncio.Event()
        original = broker._redis.xrange

        async def xrange(*args: object, **kwargs: object) -> object:
            try:
                return await original(*args, **kwargs)
            except BaseException:
                failed.set()
                raise

        broker._redis.xrange = xrange
        reader = asyncio.ensure_future(anext(sub))
        async with asyncio.timeout(HANG):
            await failed.wait()
        await broker.close()
        async with asyncio.timeout(HANG):  # bounds a hang only
            with pytest.raises(StopAsyncIteration):
                await reader


async def test_a_refused_subscribe_is_a_typed_error_and_the_reader_carries_on(
    redis_server: RedisServer,
) -> None:
    from redis.asyncio import Redis

    admin: Any = Redis.from_url(redis_server.url)  # execute_command is untyped
    try:
        # A user that may publish and subscribe to "open:*" channels only.
        await admin.execute_command(
            "ACL", "SETUSER", "app", "on", ">secret", "resetchannels", "&open:*", "+@all"
        )
    finally:
        await admin.aclose()
    url = redis_server.url.replace("redis://", "redis://app:secret@")
    async with RedisBroker(url, connect_timeout=5.0) as broker:
        with pytest.raises(BrokerRefusedError, match=r"refused: .*no permissions") as caught:
            async with broker.subscribe("closed"):
                pass
        assert broker.subscriber_count("closed") == 0
        assert "secret" not in str(caught.value)  # the URL's password is not shown
        with pytest.raises(BrokerRefusedError, match=r"refused: .*no permissions"):
            await broker.publish("closed", "x")
        # The live reader is still there: an allowed channel works.
        async with broker.subscribe("open:a") as sub:
            await broker.publish("open:a", "hello")
            assert (await next_message(sub)).text() == "hello"
        with pytest.raises(BrokerRefusedError, match=r"refused: .*no permissions"):
            async with broker.subscribe("open:b", "closed"):
                pass
        async with broker.subscribe("open:b") as sub:
            await broker.publish("open:b", "again")
            assert (await next_message(sub)).text() == "again"


async def test_a_stream_the_server_will_not_serve_ends_its_subscriptions_with_the_error(
    redis_server: RedisServer,
) -> None:
    from redis.asyncio import Redis

    admin: Any = Redis.from_url(redis_server.url)  # execute_command is untyped
    try:
        # May read the stream's newest entry and publish, but not XREAD.
        await admin.execute_command(
            "ACL", "SETUSER", "app", "on", ">secret", "~*", "&*", "+@all", "-xread"
        )
    finally:
        await admin.aclose()
    url = redis_server.url.replace("redis://", "redis://app:secret@")
    async with RedisBroker(url, history={"feed": 10}) as broker:
        for _ in range(2):  # a new subscription starts a new reader
            async with broker.subscribe("feed") as sub:
                with pytest.raises(BrokerRefusedError, match=r"read stream: .*no permissions"):
                    await next_message(sub)
                assert broker.subscriber_count("feed") == 0
