"""Server-Sent Events from a channel that keeps history, resumable with Last-Event-ID."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypedDict, Unpack

from asgikit.pubsub._subscription import Broker, Overflow, Subscription
from asgikit.requests import Request
from asgikit.responses import ServerSentEvent

__all__ = ["EventStreamOptions", "channel_events", "respond_channel_events"]


class EventStreamOptions(TypedDict, total=False):
    """The options of :func:`respond_channel_events`: ``event`` names every event
    (``event:`` line), ``ping_interval`` and ``status`` go to ``respond_event_stream``,
    ``max_queue`` and ``overflow`` to the subscription."""

    event: str | None
    ping_interval: float | None
    status: int | None
    max_queue: int
    overflow: Overflow


async def channel_events(
    subscription: Subscription, *, event: str | None = None
) -> AsyncIterator[ServerSentEvent]:
    """Each message of ``subscription`` as a :class:`ServerSentEvent` whose ``id`` is the
    message id and whose data is the message decoded as UTF-8 (an invalid byte becomes
    U+FFFD)."""
    async for message in subscription:
        yield ServerSentEvent(message.data.decode("utf-8", "replace"), event=event, id=message.id)


async def respond_channel_events(
    request: Request, broker: Broker, channel: str, **options: Unpack[EventStreamOptions]
) -> None:
    """Respond with an event stream of ``channel``, a channel that keeps history.

    Each event's id is its message id. A client that reconnects sends the last id it got
    as ``Last-Event-ID`` (browsers do it by themselves): the stream first replays every
    kept message after it, then goes live, with no gap and no message twice, whichever
    process of the broker the client reaches. Without the header the stream starts at
    the present. A header that is not a message id raises :class:`InvalidEventIdError`
    (400) before anything is sent; a channel without history raises ``ValueError``.
    Returns when the client goes away, having unsubscribed.
    """
    if not broker.history_size(channel):
        raise ValueError(
            f"channel {channel!r} keeps no history, so its events cannot be resumed: "
            f"create the broker with history={{{channel!r}: N}}"
        )
    last_id = request.headers.get("last-event-id", "").strip() or None
    subscription = broker.subscribe(
        channel,
        last_id=last_id,
        max_queue=options.get("max_queue", 256),
        overflow=options.get("overflow", "drop_oldest"),
    )
    async with subscription:
        await request.respond_event_stream(
            channel_events(subscription, event=options.get("event")),
            ping_interval=options.get("ping_interval", 15.0),
            status=options.get("status"),
        )
