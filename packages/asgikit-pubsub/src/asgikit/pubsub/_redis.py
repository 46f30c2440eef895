"""The Redis (or Valkey) broker, through redis-py's asyncio client.

Live channels use pub/sub: one connection per process carries every channel this
process subscribes to, and a reader task hands each message to the local subscribers.
Channels that keep history are Redis streams (``XADD ... MAXLEN ~ N``), read by one
task per channel (``XREAD BLOCK`` from the last id it saw).

When the connection drops, both readers reconnect with exponential backoff
(``backoff_initial`` doubling up to ``backoff_max`` seconds). Pub/sub is at-most-once:
what was published while this process was not subscribed is lost. A stream reader
carries on after the last id it saw, so nothing kept in the stream is lost.

Commands (publish, the history reads) run on a pooled connection that the server may
have closed meanwhile (its idle ``timeout``, a proxy's idle cut, a restart): a command
that fails with a connection error is sent once more, at once, on a fresh connection.
The readers use a client of their own without that retry, since they own the backoff.
An error reply (``ResponseError``: an ACL refusal, a wrong key type) is
:class:`BrokerRefusedError` for whoever asked.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from asgikit.errors import MissingDistributionError
from asgikit.pubsub._errors import BrokerRefusedError, BrokerUnavailableError
from asgikit.pubsub._subscription import (
    Broker,
    IdKey,
    Message,
    Subscription,
    check_channel,
    encode_data,
    format_id,
    parse_id,
)

__all__ = ["RedisBroker"]

T = TypeVar("T")
_FIELD = b"d"  # the stream entry's one field: the message data
_PAGE = 512  # entries taken by one XREAD of a stream reader


def _redis_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import ConnectionError, TimeoutError

    return (ConnectionError, TimeoutError, OSError)


def _without_password(url: str) -> str:
    """``url`` as error messages show it: a password in it is replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    name = user.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{name}:***@{host}"))


def _retrieve(future: asyncio.Future[None]) -> None:
    """Mark a failed future's error as seen, when no subscriber is left to await it."""
    if not future.cancelled():
        future.exception()


class RedisBroker(Broker):
    """A broker on a Redis or Valkey server at ``url`` (``redis://host:port/db``,
    ``rediss://`` for TLS, ``unix://``), shared by every process that uses the same URL.

    ``connect_timeout`` bounds each connection attempt, ``connect()`` and the wait for
    the server to confirm a new subscription; past it, :class:`BrokerUnavailableError`.
    Needs the ``redis`` extra: ``pip install 'asgikit-pubsub[redis]'``.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        history: Mapping[str, int] | None = None,
        connect_timeout: float = 5.0,
        backoff_initial: float = 0.05,
        backoff_max: float = 2.0,
    ) -> None:
        super().__init__(history=history)
        try:
            from redis.asyncio import Redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
            from redis.exceptions import ConnectionError, ResponseError
        except ImportError as exc:  # pragma: no cover - the extra is installed in tests
            raise MissingDistributionError(
                "RedisBroker needs redis-py: pip install 'asgikit-pubsub[redis]'"
            ) from exc
        if connect_timeout <= 0 or backoff_initial <= 0 or backoff_max < backoff_initial:
            raise ValueError(
                "connect_timeout and backoff_initial must be positive, "
                "backoff_max at least backoff_initial"
            )
        self.url = url
        self._shown_url = _without_password(url)
        self.connect_timeout = connect_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        # Commands: one immediate retry on a fresh connection after a connection error,
        # for a pooled connection the server closed while it was idle. A server that is
        # down refuses the retry too, and _call bounds the whole by connect_timeout.
        # (A command whose connection broke after the server ran it runs twice.)
        # redis-py's command signatures are loosely typed (a reply is "bytes | str |
        # None" whatever the command): replies are checked here instead.
        self._redis: Any = Redis.from_url(
            url,
            socket_connect_timeout=connect_timeout,
            retry=Retry(NoBackoff(), 1, (ConnectionError,)),
            retry_on_error=[ConnectionError],
        )
        # The readers: no retries inside redis-py, a dropped connection reaches the
        # loops below, which own the backoff (and resubscribe).
        self._listen: Any = Redis.from_url(
            url, socket_connect_timeout=connect_timeout, retry=Retry(NoBackoff(), 0)
        )
        self._errors = _redis_errors()
        self._refused: type[BaseException] = ResponseError
        self._closing = asyncio.Event()
        self._errors_or_timeout: tuple[type[BaseException], ...] = (*self._errors, TimeoutError)
        self._tasks: set[asyncio.Task[None]] = set()
        # Live (pub/sub) channels: what the server has been asked for, who waits for
        # its confirmation, and the order of changes for the sender task.
        self._pubsub: Any = None
        self._live_reader: asyncio.Task[None] | None = None
        self._on_server: set[str] = set()
        self._waiting: dict[str, asyncio.Future[None]] = {}
        self._changes: asyncio.Queue[str] = asyncio.Queue()
        # (command, channels without a reply yet) of each SUBSCRIBE / UNSUBSCRIBE sent
        # on the pub/sub connection, oldest first: an error reply belongs to the first.
        self._sent: collections.deque[tuple[str, set[str]]] = collections.deque()
        self._sender: asyncio.Task[None] | None = None
        # History channels: one reader task each.
        self._stream_readers: dict[str, asyncio.Task[None]] = {}
        self.reconnects = 0
        """How many times a reader got its connection back after losing it."""

    def _spawn(self, coroutine: Awaitable[None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _call(self, what: str, command: Callable[[], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(self.connect_timeout):
                return await command()
        except self._errors_or_timeout as exc:
            raise BrokerUnavailableError(
                f"{what}: Redis at {self._shown_url} is unavailable: "
                f"{exc or type(exc).__name__} (connect_timeout={self.connect_timeout})"
            ) from exc
        except self._refused as exc:
            raise self._refusal(what, exc) from exc

    def _refusal(self, what: str, exc: BaseException) -> BrokerRefusedError:
        return BrokerRefusedError(f"{what}: Redis at {self._shown_url} refused: {exc}")

    async def _pause(self, delay: float) -> None:
        """Sleep ``delay`` seconds, or less if the broker closes meanwhile."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._closing.wait()

    async def connect(self) -> None:
        """Ping the server: :class:`BrokerUnavailableError` after ``connect_timeout``
        seconds if it does not answer."""
        await super().connect()
        await self._call("connect", self._redis.ping)

    async def publish(self, channel: str, data: bytes | str) -> str | None:
        """``PUBLISH`` to a live channel; ``XADD ... MAXLEN ~ N`` to a history channel,
        returning the entry's id. :class:`BrokerUnavailableError` if the server cannot be
        reached (the message is not sent)."""
        check_channel(channel)
        payload = encode_data(data)
        size = self._history.get(channel)
        if size is None:
            await self._call("publish", lambda: self._redis.publish(channel, payload))
            return None
        entry = await self._call(
            "publish",
            lambda: self._redis.xadd(channel, {_FIELD: payload}, maxlen=size, approximate=True),
        )
        return entry.decode() if isinstance(entry, bytes) else str(entry)

    async def close(self) -> None:
        await super().close()
        self._closing.set()
        self._changes.put_nowait("")  # wakes the sender, which sees the broker closed
        # redis-py may swallow a cancellation that lands inside a command, so a task is
        # cancelled again until it has ended; each loop also stops once it sees _closed.
        pending = set(self._tasks)
        while pending:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=0.1)
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        await self._redis.aclose()
        await self._listen.aclose()

    # -- subscriptions ---------------------------------------------------------------

    async def _attach(self, subscription: Subscription) -> dict[str, IdKey]:
        new = [c for c in subscription.channels if not self._subscribers.get(c)]
        await super()._attach(subscription)
        present: dict[str, IdKey] = {}
        try:
            waits = []
            for channel in subscription.channels:
                if channel in subscription._history:
                    present[channel] = await self._last_id(channel)
                    if channel not in self._stream_readers:
                        reader = self._spawn(self._read_stream(channel, present[channel]))
                        self._stream_readers[channel] = reader
                elif channel in new:
                    waits.append(self._want_live(channel))
                elif channel in self._waiting:
                    waits.append(self._waiting[channel])
            if waits:
                try:
                    async with asyncio.timeout(self.connect_timeout):
                        await asyncio.gather(*(asyncio.shield(w) for w in waits))
                except TimeoutError:
                    raise BrokerUnavailableError(
                        f"subscribe: Redis at {self._shown_url} did not confirm the subscription "
                        f"within connect_timeout={self.connect_timeout}"
                    ) from None
        except BaseException:
            self._detach(subscription)
            raise
        return present

    async def _last_id(self, channel: str) -> IdKey:
        entries = await self._call(
            "subscribe", lambda: self._redis.xrevrange(channel, "+", "-", count=1)
        )
        return parse_id(entries[0][0].decode()) if entries else (0, 0)

    def _last_subscriber_left(self, channel: str) -> None:
        reader = self._stream_readers.pop(channel, None)
        if reader is not None:
            reader.cancel()
        elif channel not in self._history:
            self._changes.put_nowait(channel)

    async def _read_history(self, channel: str, after: IdKey, count: int) -> list[Message]:
        """Retries (with backoff) while the server is away; once the broker is closed,
        returns nothing, and the subscription, ended by close(), stops."""
        delay = self.backoff_initial
        while not self._closed:
            try:
                entries = await self._call(
                    "read history",
                    lambda: self._redis.xrange(channel, f"({format_id(after)}", "+", count=count),
                )
            except BrokerUnavailableError:
                await self._pause(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            return [self._entry(channel, entry) for entry in entries]
        return []

    @staticmethod
    def _entry(channel: str, entry: Any) -> Message:
        entry_id, fields = entry
        return Message(channel, bytes(fields.get(_FIELD, b"")), entry_id.decode())

    async def _read_stream(self, channel: str, after: IdKey) -> None:
        delay = self.backoff_initial
        lost = False
        while not self._closed:
            try:
                reply = await self._listen.xread(
                    {channel: format_id(after)}, count=_PAGE, block=10_000
                )
            except self._errors:
                lost = True
                await self._pause(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            except self._refused as exc:
                # Not a fault that passes: the channel's subscriptions end with it, and
                # the next subscription to the channel starts a new reader.
                if self._stream_readers.get(channel) is asyncio.current_task():
                    del self._stream_readers[channel]
                error = self._refusal("read stream", exc)
                for subscription in list(self._subscribers.get(channel, ())):
                    subscription._fail(error)
                return
            if lost:
                lost = False
                self.reconnects += 1
            delay = self.backoff_initial
            for _, entries in reply or ():
                for entry in entries:
                    message = self._entry(channel, entry)
                    after = parse_id(message.id or "0")
                    for subscription in list(self._subscribers.get(channel, ())):
                        subscription._offer(message)

    # -- live channels: one pub/sub connection, a reader and a sender ------------------

    def _want_live(self, channel: str) -> asyncio.Future[None]:
        future = self._waiting.get(channel)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            future.add_done_callback(_retrieve)
            self._waiting[channel] = future
        if self._live_reader is None:
            self._live_reader = self._spawn(self._read_live())
            self._sender = self._spawn(self._send_changes())
        else:
            self._changes.put_nowait(channel)
        return future

    def _confirm(self, channel: str) -> None:
        future = self._waiting.pop(channel, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def _send_changes(self) -> None:
        """Bring the server's subscriptions in line with ``_subscribers``, in the order
        channels changed. Only what differs is sent, so subscribing again before an
        unsubscribe went out sends nothing."""
        while not self._closed:
            channel = await self._changes.get()
            pubsub = self._pubsub
            if pubsub is None or not channel:
                continue  # the reader subscribes everything wanted when it reconnects
            wanted = bool(self._subscribers.get(channel))
            try:
                if wanted and channel not in self._on_server:
                    self._on_server.add(channel)
                    self._sent.append(("subscribe", {channel}))
                    await pubsub.subscribe(channel)
                elif wanted:
                    self._confirm(channel)
                elif channel in self._on_server:
                    self._on_server.discard(channel)
                    self._sent.append(("unsubscribe", {channel}))
                    await pubsub.unsubscribe(channel)
            except self._errors:
                continue  # the reader has lost the connection too, and will redo this

    def _live_channels(self) -> set[str]:
        return {c for c, subs in self._subscribers.items() if subs and c not in self._history}

    async def _read_live(self) -> None:
        delay = self.backoff_initial
        connected_before = False
        while not self._closed:
            pubsub: Any = self._listen.pubsub()
            try:
                await pubsub.connect()
                self._on_server = set()
                self._sent.clear()
                while True:
                    # Subscribe whatever is wanted, including channels wanted meanwhile;
                    # the sender takes over once this loop has nothing left to send.
                    missing = self._live_channels() - self._on_server
                    if not missing:
                        break
                    self._on_server |= missing
                    self._sent.append(("subscribe", set(missing)))
                    await pubsub.subscribe(*sorted(missing))
                self._pubsub = pubsub
                if connected_before:
                    self.reconnects += 1
                connected_before = True
                delay = self.backoff_initial
                while True:
                    try:
                        reply = await pubsub.get_message(timeout=None)
                    except self._refused as exc:
                        self._refuse_oldest(exc)  # the connection carries on
                        continue
                    if reply is not None:
                        self._dispatch(reply)
            except self._errors:
                self._pubsub = None
                await self._pause(delay)
                delay = min(delay * 2, self.backoff_max)
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await asyncio.shield(pubsub.aclose())

    def _dispatch(self, reply: dict[str, Any]) -> None:
        kind = reply["type"]
        channel = reply["channel"]
        name = channel.decode() if isinstance(channel, bytes) else str(channel)
        if kind == "message":
            message = Message(name, bytes(reply["data"]))
            for subscription in list(self._subscribers.get(name, ())):
                subscription._offer(message)
        elif kind in ("subscribe", "unsubscribe"):
            self._replied(name)
            if kind == "subscribe":
                self._confirm(name)

    def _replied(self, channel: str) -> None:
        for _, channels in self._sent:
            if channel in channels:
                channels.discard(channel)
                break
        while self._sent and not self._sent[0][1]:
            self._sent.popleft()

    def _refuse_oldest(self, exc: BaseException) -> None:
        """The server refused the oldest command still waiting for its replies: the
        subscriptions waiting for its channels fail with :class:`BrokerRefusedError`."""
        if not self._sent:
            return
        command, channels = self._sent.popleft()
        if command != "subscribe":
            return
        error = self._refusal("subscribe", exc)
        for channel in channels:
            self._on_server.discard(channel)
            future = self._waiting.pop(channel, None)
            if future is not None and not future.done():
                future.set_exception(error)
