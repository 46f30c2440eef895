"""What every broker shares: the message, the subscription with its bounded queue, and
the broker interface.

A subscription holds at most ``max_queue`` messages. When a message comes and the queue
is full:

- on a channel that keeps history, the message is not queued; the subscription marks
  the channel *behind* and, when the reader next asks, reads what it missed from the
  broker's history, in pages of ``max_queue``, after the last id it delivered. Nothing
  is lost while the history still holds it; memory stays bounded either way.
- on a live channel, ``overflow="drop_oldest"`` (the default) drops the oldest queued
  message and counts it in ``dropped``; ``overflow="error"`` ends the subscription: the
  next read raises :class:`SubscriberOverflowError`.

Messages of a history channel are delivered in id order, each once: the queue and the
history reads are merged by id (a message already delivered is skipped).
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Self, TypedDict, Unpack

from asgikit.pubsub._errors import (
    InvalidEventIdError,
    PubSubError,
    SubscriberOverflowError,
    SubscriptionStateError,
)

__all__ = [
    "DEFAULT_MAX_QUEUE",
    "Broker",
    "Message",
    "Overflow",
    "SubscribeOptions",
    "Subscription",
]

DEFAULT_MAX_QUEUE = 256
MAX_CHANNEL_LENGTH = 1024

Overflow = Literal["drop_oldest", "error"]
IdKey = tuple[int, int]

# A Redis stream id ("1700000000000-0"), which the in-memory broker's ids mimic, or a
# bare number (an in-memory id before 0.2, read as "N-0").
_ID = re.compile(r"(\d{1,20})(?:-(\d{1,20}))?")


def parse_id(value: str) -> IdKey:
    """The sortable key of a message id; :class:`InvalidEventIdError` if it is not one."""
    match = _ID.fullmatch(value)
    if match is None:
        raise InvalidEventIdError(
            "the event id is not a message id",
            hint=f"expected 'N' or 'N-M' with decimal N, M; got {value[:64]!r}",
        )
    return int(match[1]), int(match[2] or 0)


def format_id(key: IdKey) -> str:
    return f"{key[0]}-{key[1]}"


def encode_data(data: bytes | str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise TypeError(f"message data must be bytes or str, not {type(data).__name__}")


def check_channel(channel: object) -> str:
    if not isinstance(channel, str) or not channel or len(channel) > MAX_CHANNEL_LENGTH:
        raise ValueError(
            f"a channel is a non-empty str of at most {MAX_CHANNEL_LENGTH} characters, "
            f"not {channel!r:.80}"
        )
    return channel


def check_history(history: Mapping[str, int] | None) -> dict[str, int]:
    checked: dict[str, int] = {}
    for channel, size in (history or {}).items():
        if type(size) is not int or size < 1:
            raise ValueError(f"history[{channel!r}] must be a positive int, not {size!r}")
        checked[check_channel(channel)] = size
    return checked


@dataclass(frozen=True, slots=True)
class Message:
    """One published message: its ``channel``, its ``data`` as bytes, and its ``id`` on
    a channel that keeps history (``None`` on a live channel)."""

    channel: str
    data: bytes
    id: str | None = None

    def text(self) -> str:
        """The data decoded as UTF-8 (``UnicodeDecodeError`` if it is not)."""
        return self.data.decode("utf-8")


class SubscribeOptions(TypedDict, total=False):
    """The options of :meth:`Broker.subscribe`.

    ``max_queue``: messages held for a reader that is behind (default 256).
    ``overflow``: ``"drop_oldest"`` (default) or ``"error"``, for live channels.
    ``last_id``: on history channels, start after this id (replaying what came since)
    instead of at the present; an id newer than the newest message the channel holds
    starts at the present.
    """

    max_queue: int
    overflow: Overflow
    last_id: str | None


class Broker(ABC):
    """Publish to channels; subscribe to them. :class:`MemoryBroker` and
    :class:`RedisBroker` are the two brokers.

    ``history`` maps the channels that keep history to the number of messages kept.
    A broker is an async context manager: ``async with`` connects it (raising
    :class:`BrokerUnavailableError` if it cannot) and closes it, which ends every open
    subscription.
    """

    def __init__(self, *, history: Mapping[str, int] | None = None) -> None:
        self._history = check_history(history)
        self._closed = False
        self._subscribers: dict[str, set[Subscription]] = {}

    def history_size(self, channel: str) -> int | None:
        """How many messages ``channel`` keeps, or ``None`` for a live channel."""
        return self._history.get(channel)

    def subscriber_count(self, channel: str) -> int:
        """The open subscriptions of this process to ``channel``."""
        return len(self._subscribers.get(channel, ()))

    @abstractmethod
    async def publish(self, channel: str, data: bytes | str) -> str | None:
        """Send ``data`` to every subscriber of ``channel``; on a history channel,
        keep it and return its id."""

    def subscribe(self, *channels: str, **options: Unpack[SubscribeOptions]) -> Subscription:
        """A subscription to ``channels``, to use as ``async with ... as sub: async for
        message in sub``. Leaving the block, however it is left (an error, a
        cancellation), unsubscribes."""
        return Subscription(self, channels, **options)

    async def connect(self) -> None:
        """Make sure the broker is reachable (:class:`BrokerUnavailableError` if not);
        a closed broker raises :class:`SubscriptionStateError`."""
        if self._closed:
            raise SubscriptionStateError("cannot connect: the broker is closed")

    async def close(self) -> None:
        """End every open subscription (their loops end) and release the broker."""
        self._closed = True
        for subscribers in list(self._subscribers.values()):
            for subscription in list(subscribers):
                subscription._end()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # What a subscription asks of its broker.

    async def _attach(self, subscription: Subscription) -> dict[str, IdKey]:
        """Start delivering to ``subscription``; return the last id of each of its
        history channels, so that it starts at the present."""
        for channel in subscription.channels:
            self._subscribers.setdefault(channel, set()).add(subscription)
        return {}

    def _detach(self, subscription: Subscription) -> None:
        """Stop delivering to ``subscription``; never awaits, so it runs even when the
        subscriber is being cancelled."""
        for channel in subscription.channels:
            subscribers = self._subscribers.get(channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[channel]
                    self._last_subscriber_left(channel)

    @abstractmethod
    def _last_subscriber_left(self, channel: str) -> None:
        """``channel`` has no subscriber left in this process."""

    @abstractmethod
    async def _read_history(self, channel: str, after: IdKey, count: int) -> list[Message]:
        """At most ``count`` kept messages of ``channel`` with ids after ``after``."""


class Subscription:
    """An open subscription: ``async for message in sub`` gives each :class:`Message`.

    ``dropped`` counts live messages dropped by ``overflow="drop_oldest"``; ``queued``
    is how many messages wait. Iteration ends when the broker closes.
    """

    def __init__(
        self, broker: Broker, channels: tuple[str, ...], **options: Unpack[SubscribeOptions]
    ) -> None:
        unknown = set(options) - set(SubscribeOptions.__annotations__)
        if unknown:
            raise TypeError(f"unknown subscribe option(s): {', '.join(sorted(unknown))}")
        if not channels:
            raise ValueError("subscribe() needs at least one channel")
        self.channels = tuple(dict.fromkeys(check_channel(channel) for channel in channels))
        max_queue = options.get("max_queue", DEFAULT_MAX_QUEUE)
        if type(max_queue) is not int or max_queue < 1:
            raise ValueError(f"max_queue must be a positive int, not {max_queue!r}")
        overflow = options.get("overflow", "drop_oldest")
        if overflow not in ("drop_oldest", "error"):
            raise ValueError(f"overflow must be 'drop_oldest' or 'error', not {overflow!r}")
        last_id = options.get("last_id")
        self._start = None if last_id is None else parse_id(last_id)
        self.max_queue = max_queue
        self.overflow: Overflow = overflow
        self.dropped = 0
        self._broker = broker
        self._history = frozenset(c for c in self.channels if broker.history_size(c))
        self._queue: deque[Message] = deque()
        self._replay: deque[Message] = deque()
        self._cursor: dict[str, IdKey] = {}
        self._behind: set[str] = set()
        self._wakeup = asyncio.Event()
        self._state: Literal["new", "open", "ended", "closed"] = "new"
        self._error: PubSubError | None = None

    @property
    def queued(self) -> int:
        """Messages waiting to be read (never more than ``max_queue``, plus at most one
        page read back from history)."""
        return len(self._queue) + len(self._replay)

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise SubscriptionStateError(f"cannot enter: the subscription is {self._state}")
        if self._broker._closed:
            raise SubscriptionStateError("cannot subscribe: the broker is closed")
        self._state = "open"
        try:
            present = await self._broker._attach(self)
        except BaseException:
            self._close()
            raise
        for channel in self._history:
            now = present.get(channel, (0, 0))
            if self._start is None or self._start > now:
                # An id newer than anything the channel holds (from a restarted
                # process or another server) would hide every message until new ids
                # passed it: start at the present instead.
                self._cursor[channel] = now
            else:
                self._cursor[channel] = self._start
                self._behind.add(channel)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Message:
        while True:
            if self._state == "new" or self._state == "closed":
                raise SubscriptionStateError(
                    "cannot read: use the subscription inside its async with block"
                )
            if self._error is not None:
                raise self._error
            if self._state == "ended":
                raise StopAsyncIteration
            if self._replay:
                message = self._replay.popleft()
            elif self._behind:
                await self._catch_up()
                continue
            elif self._queue:
                message = self._queue.popleft()
            else:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if message.id is not None:
                key = parse_id(message.id)
                if key <= self._cursor.get(message.channel, key):
                    continue  # delivered already, from history or the live feed
                self._cursor[message.channel] = key
            return message

    async def _catch_up(self) -> None:
        channel = next(iter(self._behind))
        # Out of `behind` before the read: what arrives during it is queued, and the
        # id merge in __anext__ drops whatever the read returns too.
        self._behind.discard(channel)
        try:
            page = await self._broker._read_history(channel, self._cursor[channel], self.max_queue)
        except BaseException:
            self._behind.add(channel)  # a cancelled read leaves the channel to catch up
            raise
        if len(page) == self.max_queue:
            self._behind.add(channel)
        self._replay.extend(page)

    def _offer(self, message: Message) -> None:
        """Queue a message the broker delivers (called from its dispatcher)."""
        if self._state != "open" or self._error is not None:
            return
        if message.id is not None and message.channel in self._behind:
            return  # the history read will bring it
        if len(self._queue) >= self.max_queue:
            if message.id is not None:
                self._behind.add(message.channel)
                self._wakeup.set()
                return
            if self.overflow == "error":
                self._fail(SubscriberOverflowError(self.max_queue))
                return
            oldest = self._queue.popleft()
            if oldest.id is None:
                self.dropped += 1
            else:
                self._behind.add(oldest.channel)
        self._queue.append(message)
        self._wakeup.set()

    def _fail(self, error: PubSubError) -> None:
        """End the subscription: the next read raises ``error``."""
        if self._state == "open" and self._error is None:
            self._error = error
            self._queue.clear()
            self._replay.clear()
            self._broker._detach(self)
            self._wakeup.set()

    def _end(self) -> None:
        """The broker is closing: iteration ends once this is seen."""
        if self._state == "open":
            self._state = "ended"
            self._broker._detach(self)
            self._wakeup.set()

    def _close(self) -> None:
        if self._state != "closed":
            self._state = "closed"
            self._broker._detach(self)
            self._queue.clear()
            self._replay.clear()
            self._wakeup.set()
