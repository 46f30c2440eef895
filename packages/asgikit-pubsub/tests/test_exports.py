"""The public names of asgikit.pubsub, pinned, and where its errors sit in the tree."""

from __future__ import annotations

from pathlib import Path

import asgikit.pubsub as pubsub
from asgikit.errors import AsgikitError, BadRequestError, StateError
from asgikit.testing import export_problems

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


def test_every_public_module_is_pinned() -> None:
    found = {
        f"asgikit.{path.name}"
        for path in SRC.iterdir()
        if (path / "__init__.py").is_file() and not path.name.startswith("_")
    }
    assert found == set(PUBLIC)


def test_public_names() -> None:
    for name, expected in PUBLIC.items():
        assert export_problems(name, expected) == []


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
