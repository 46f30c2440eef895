"""The errors of the test client: every one is an AsgikitError, and says what the app sent."""

from __future__ import annotations

from collections.abc import Sequence

from asgikit.asgi import Message
from asgikit.errors import AsgikitError


def describe_messages(messages: Sequence[Message], *, limit: int = 20) -> str:
    """One line per message, long bodies cut, for error messages: a test that fails
    must say what the app had done."""
    if not messages:
        return "  (nothing)"
    lines = []
    for message in messages[-limit:]:
        shown: dict[str, object] = {}
        for key, value in message.items():
            if isinstance(value, bytes) and len(value) > 60:
                value = value[:60] + b"..."
            elif isinstance(value, str) and len(value) > 60:
                value = value[:60] + "..."
            shown[key] = value
        lines.append(f"  {shown!r}")
    skipped = len(messages) - limit
    if skipped > 0:
        lines.insert(0, f"  ... {skipped} earlier messages")
    return "\n".join(lines)


class TestClientError(AsgikitError):
    """Base class of the test client's errors."""

    __test__ = False


class AppTimeoutError(TestClientError, TimeoutError):
    """A wait on the app ran out of time: it sent nothing more, or did not finish.

    ``sent`` holds every ASGI message the app had sent in this exchange, and the message
    lists them, so a failing test says where the app stopped.
    """

    def __init__(self, what: str, *, timeout: float, sent: Sequence[Message]) -> None:
        super().__init__(
            f"{what} within {timeout} s (timeout={timeout}); the app had sent:\n"
            + describe_messages(sent)
        )
        self.timeout = timeout
        self.sent = list(sent)


class ProtocolViolationError(TestClientError, AssertionError):
    """The app sent an ASGI message that the protocol forbids at this point, as a
    server would refuse it: ``Expected ASGI message X, but got Y``."""


class ClientGoneError(OSError):
    """Raised by ``send()`` inside the app once the client has gone, when the client
    speaks ASGI 2.4 ("If send() is called on a closed connection the server should raise
    a server-specific subclass of OSError", ASGI HTTP spec 2.4). With ``spec_version``
    "2.3" the message is dropped instead, as uvicorn does."""


class WebSocketDenied(TestClientError):
    """The app refused the websocket handshake.

    ``status``, ``headers`` and ``body`` are the denial response: the one the app sent
    through the ``websocket.http.response`` extension, or 403 with no body when it
    closed before accepting (what a server answers then).
    """

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        super().__init__(f"websocket handshake denied with {status}: {body[:60]!r}")
        self.status = status
        self.headers = headers
        self.body = body


class WebSocketClosed(TestClientError):
    """The app closed the websocket (``code``, ``reason``); raised by a receive."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"the app closed the websocket with {code} {reason!r}")
        self.code = code
        self.reason = reason


class LifespanFailedError(TestClientError):
    """Startup or shutdown failed: ``phase`` is "startup" or "shutdown", ``message``
    what the app said in ``lifespan.<phase>.failed`` (or what went wrong otherwise)."""

    def __init__(self, phase: str, message: str) -> None:
        super().__init__(f"lifespan {phase} failed: {message}")
        self.phase = phase
        self.message = message
