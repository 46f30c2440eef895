"""Publish/subscribe across tasks, workers and hosts, and Server-Sent Events that resume.

One interface, two brokers: :class:`MemoryBroker` (in this process, nothing to install)
and :class:`RedisBroker` (Redis or Valkey; ``pip install 'asgikit-pubsub[redis]'``)::

    async with broker.subscribe("room") as sub:
        async for message in sub:
            ...
    await broker.publish("room", "hello")

Every subscriber has a bounded queue (``max_queue``); see :class:`Subscription` for what
happens when it is full. :func:`respond_channel_events` serves a history channel as
Server-Sent Events that resume from ``Last-Event-ID``.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from asgikit.pubsub._errors import (
    BrokerRefusedError,
    BrokerUnavailableError,
    InvalidEventIdError,
    PubSubError,
    SubscriberOverflowError,
    SubscriptionStateError,
)
from asgikit.pubsub._memory import MemoryBroker
from asgikit.pubsub._redis import RedisBroker
from asgikit.pubsub._sse import EventStreamOptions, channel_events, respond_channel_events
from asgikit.pubsub._subscription import (
    DEFAULT_MAX_QUEUE,
    Broker,
    Message,
    Overflow,
    SubscribeOptions,
    Subscription,
)

__all__ = [
    "DEFAULT_MAX_QUEUE",
    "Broker",
    "BrokerRefusedError",
    "BrokerUnavailableError",
    "EventStreamOptions",
    "InvalidEventIdError",
    "MemoryBroker",
    "Message",
    "Overflow",
    "PubSubError",
    "RedisBroker",
    "SubscribeOptions",
    "Subscription",
    "SubscriberOverflowError",
    "SubscriptionStateError",
    "channel_events",
    "respond_channel_events",
]
