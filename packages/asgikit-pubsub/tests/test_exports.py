"""The public names of asgikit.pubsub, pinned, and where its errors sit in the tree."""

from __future__ import annotations

from pathlib import Path

import asgikit.pubsub as pubsub
from asgikit.errors import AsgikitError, BadRequestError, StateError
from asgikit.testing import portion_problems

PUBLIC: dict[str, list[str]] = {
    "asgikit.pubsub": [
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
    ],
}

SRC = Path(__file__).resolve().parent.parent / "src" / "asgikit"


def test_every_public_module_is_pinned_with_its_names() -> None:
    assert portion_problems(SRC, PUBLIC) == []


def test_errors_belong_to_the_one_tree() -> None:
    assert issubclass(pubsub.PubSubError, AsgikitError)
    assert issubclass(pubsub.BrokerUnavailableError, pubsub.PubSubError)
    assert issubclass(pubsub.BrokerUnavailableError, ConnectionError)
    assert issubclass(pubsub.BrokerRefusedError, pubsub.PubSubError)
    assert not issubclass(pubsub.BrokerRefusedError, ConnectionError)
    assert issubclass(pubsub.SubscriberOverflowError, pubsub.PubSubError)
    assert issubclass(pubsub.InvalidEventIdError, BadRequestError)
    assert pubsub.InvalidEventIdError.status_code == 400
    assert issubclass(pubsub.SubscriptionStateError, StateError)
    assert issubclass(pubsub.SubscriptionStateError, RuntimeError)
