"""The in-process broker: nothing to install, one process only."""

from __future__ import annotations

import bisect
import itertools
import time
from collections import deque
from collections.abc import Mapping

from asgikit.pubsub._subscription import (
    Broker,
    IdKey,
    Message,
    Subscription,
    check_channel,
    encode_data,
    parse_id,
)

__all__ = ["MemoryBroker"]


class MemoryBroker(Broker):
    """A broker inside this process: publishing hands the message to each subscriber's
    queue at once (no copy: every queue holds the same :class:`Message`).

    A channel in ``history`` keeps its last N messages in memory; their ids are
    ``"<ms>-1"``, ``"<ms>-2"``, ... in publishing order, shared by every channel of the
    broker, where ``<ms>`` is the broker's creation time in Unix milliseconds (the form
    of a Redis stream id). A process that restarts starts with greater ids, so a client
    resuming with an id of the previous process gets what comes next.
    Subscribers in other processes see nothing: use :class:`RedisBroker` there.
    """

    def __init__(self, *, history: Mapping[str, int] | None = None) -> None:
        super().__init__(history=history)
        self._kept: dict[str, deque[Message]] = {
            channel: deque(maxlen=size) for channel, size in self._history.items()
        }
        self._boot = time.time_ns() // 1_000_000
        self._last = 0

    async def publish(self, channel: str, data: bytes | str) -> str | None:
        """Deliver ``data`` to this process's subscribers of ``channel``; on a history
        channel, keep it and return its id."""
        check_channel(channel)
        payload = encode_data(data)
        kept = self._kept.get(channel)
        message_id = None
        if kept is not None:
            self._last += 1
            message_id = f"{self._boot}-{self._last}"
        message = Message(channel, payload, message_id)
        if kept is not None:
            kept.append(message)
        for subscription in list(self._subscribers.get(channel, ())):
            subscription._offer(message)
        return message_id

    async def _attach(self, subscription: Subscription) -> dict[str, IdKey]:
        await super()._attach(subscription)
        return dict.fromkeys(subscription.channels, (self._boot, self._last))

    def _last_subscriber_left(self, channel: str) -> None:
        """Nothing to release: the channel's history stays, for a later ``last_id``."""

    async def _read_history(self, channel: str, after: IdKey, count: int) -> list[Message]:
        kept = self._kept.get(channel)
        if kept is None:
            return []
        start = bisect.bisect_right(kept, after, key=_key)
        return list(itertools.islice(kept, start, start + count))


def _key(message: Message) -> IdKey:
    return parse_id(message.id or "0")
