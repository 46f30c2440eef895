"""The public names of asgikit.testclient, pinned, and where its errors sit in the tree."""

from __future__ import annotations

from pathlib import Path

import asgikit.testclient as testclient
from asgikit.errors import AsgikitError
from asgikit.testing import portion_problems

PUBLIC: dict[str, list[str]] = {
    "asgikit.testclient": [
        "ALL_EXTENSIONS",
        "DEFAULT_TIMEOUT",
        "SEND_BUFFER_BYTES",
        "SEND_BUFFER_MESSAGES",
        "AppTimeoutError",
        "ClientGoneError",
        "EventStream",
        "EventStreamParser",
        "Exchange",
        "LifespanFailedError",
        "ProtocolViolationError",
        "ServerOptions",
        "ServerSentEvent",
        "TestClient",
        "TestClientError",
        "WebSocketClosed",
        "WebSocketDenied",
        "WebSocketSession",
        "exchange_of",
    ],
}

SRC = Path(__file__).resolve().parent.parent / "src" / "asgikit"


def test_every_public_module_is_pinned_with_its_names() -> None:
    assert portion_problems(SRC, PUBLIC) == []


def test_errors_belong_to_the_one_tree() -> None:
    for error in (
        testclient.AppTimeoutError,
        testclient.ProtocolViolationError,
        testclient.WebSocketDenied,
        testclient.WebSocketClosed,
        testclient.LifespanFailedError,
    ):
        assert issubclass(error, testclient.TestClientError)
    assert issubclass(testclient.TestClientError, AsgikitError)
    # A bound that ran out is a timeout, and a broken protocol a failed assertion.
    assert issubclass(testclient.AppTimeoutError, TimeoutError)
    assert issubclass(testclient.ProtocolViolationError, AssertionError)
    # ASGI 2.4: "send() on a closed connection ... a server-specific subclass of OSError".
    assert issubclass(testclient.ClientGoneError, OSError)


def test_the_client_is_not_collected_as_a_test_class() -> None:
    assert testclient.TestClient.__test__ is False
