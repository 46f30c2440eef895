"""The errors of asgikit.pubsub, in the asgikit error tree."""

from __future__ import annotations

from asgikit.errors import AsgikitError, BadRequestError, StateError

__all__ = [
    "BrokerRefusedError",
    "BrokerUnavailableError",
    "InvalidEventIdError",
    "PubSubError",
    "SubscriberOverflowError",
    "SubscriptionStateError",
]


class PubSubError(AsgikitError):
    """Base of the errors a broker or a subscription raises."""


class BrokerUnavailableError(PubSubError, ConnectionError):
    """The broker could not be reached within ``connect_timeout`` seconds.

    Raised by ``connect()`` (a broker down at start-up), by ``publish()`` while the broker
    is away, and by entering a subscription the broker does not confirm in time. An open
    subscription never raises it: it reconnects by itself.
    """


class BrokerRefusedError(PubSubError):
    """The broker answered with an error: a command this connection may not run, such
    as an ACL without permission for a channel (``NOPERM``), or a key of the wrong type.
    The message is the server's. Retrying does not help; the configuration must change.

    Raised by ``publish()``, by entering a subscription the server refuses, and by the
    next read of an open history subscription whose stream the server stops serving.
    """


class SubscriberOverflowError(PubSubError):
    """The subscriber's queue was full when a live message came, under
    ``overflow="error"``: the subscription has ended and dropped what it held."""

    def __init__(self, max_queue: int) -> None:
        self.max_queue = max_queue
        super().__init__(
            f"subscriber too slow: its queue of {max_queue} messages was full "
            "(raise max_queue=, or pass overflow='drop_oldest' to drop and count instead)"
        )


class InvalidEventIdError(BadRequestError):
    """A message id (``last_id``, an SSE ``Last-Event-ID`` header) that does not parse."""


class SubscriptionStateError(StateError):
    """A subscription used outside its ``async with`` block, or entered twice."""
