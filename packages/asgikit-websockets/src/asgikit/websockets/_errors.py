"""The websocket errors, each a branch of the one asgikit error tree (:mod:`asgikit.errors`)::

ClientDisconnectedError
└── WebSocketDisconnect          the connection is gone; .code and .reason
    └── MessageTooBigError       a message over max_message_size; we closed with 1009
ClientError
└── BadRequestError
    └── MessageTypeError         a typed read got the other frame type
StateError (a RuntimeError)
└── WebSocketStateError          read/write/accept in a state that forbids it
WebSocketProtocolError (a RuntimeError)  the server sent a message ASGI does not allow
"""

from __future__ import annotations

from asgikit.errors import AsgikitError, BadRequestError, ClientDisconnectedError, StateError

# RFC 6455 §7.4.1 close codes used here.
NORMAL_CLOSURE = 1000
NO_STATUS_RECEIVED = 1005
ABNORMAL_CLOSURE = 1006
MESSAGE_TOO_BIG = 1009
TOO_BIG_REASON = "message too big"


class WebSocketDisconnect(ClientDisconnectedError):
    """The connection is closed: the client left, a send failed because it had, or the
    size guard closed it (:class:`MessageTooBigError`).

    ``code`` is the close code the client sent (1005, "no status received", when its
    close frame had none, as the ASGI spec says; 1006 when a send failed on a dead
    connection; 1009 after the size guard) and ``reason`` its close reason (``""`` when
    none).
    """

    def __init__(self, code: int = NO_STATUS_RECEIVED, reason: str = "") -> None:
        detail = f"code {code}, reason {reason!r}" if reason else f"code {code}"
        super().__init__(f"the websocket connection is closed ({detail})")
        self.code = code
        self.reason = reason


class WebSocketStateError(StateError):
    """A call that the websocket's state forbids: reading or writing before
    :meth:`~asgikit.websockets.WebSocket.accept` or after the application closed it,
    accepting twice, denying an accepted connection. The message names the action and
    the state."""


class MessageTypeError(BadRequestError):
    """A typed read (``read_text``, ``read_bytes``) got a message of the other frame type.

    The message is consumed; the connection stays open. ``expected`` and ``received``
    are ``"text"`` or ``"bytes"``.
    """

    def __init__(self, *, expected: str, received: str) -> None:
        super().__init__(
            f"expected a {expected} message, got a {received} message (read() accepts both)"
        )
        self.expected = expected
        self.received = received


class MessageTooBigError(WebSocketDisconnect):
    """A message larger than ``max_message_size`` bytes (text counted in UTF-8).

    By the time this is raised the connection has been closed with code 1009 ("message
    too big"), so it is a disconnect: the loop that ends on :class:`WebSocketDisconnect`
    ends on it too, and so does ``async for``. ``code`` is 1009 (also ``close_code``),
    ``reason`` ``"message too big"``; ``size``, ``limit`` and ``option`` say what was
    refused and which option lifts it. It is not a
    :class:`~asgikit.errors.ClientError`: there is no HTTP response left to give a
    status to (in 0.1.0 it was a ``ContentTooLargeError``).
    """

    close_code = MESSAGE_TOO_BIG

    def __init__(self, *, size: int, limit: int) -> None:
        super().__init__(MESSAGE_TOO_BIG, TOO_BIG_REASON)
        self.args = (
            f"a websocket message of {size} bytes is larger than {limit} bytes "
            f"(max_message_size={limit}, set at accept); closed with code 1009",
        )
        self.size = size
        self.limit = limit
        self.option = "max_message_size"


class WebSocketProtocolError(AsgikitError, RuntimeError):
    """The server sent an ASGI message the WebSocket spec does not allow at this point."""
