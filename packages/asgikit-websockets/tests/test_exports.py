from __future__ import annotations

import asgikit.websockets as websockets
from asgikit.errors import (
    AsgikitError,
    BadRequestError,
    ClientDisconnectedError,
    ContentTooLargeError,
    StateError,
)


def test_all_names_exist_and_are_public() -> None:
    assert sorted(websockets.__all__) == sorted(set(websockets.__all__))
    for name in websockets.__all__:
        assert not name.startswith("_")
        assert getattr(websockets, name) is not None


def test_public_names() -> None:
    assert set(websockets.__all__) == {
        "DEFAULT_MAX_MESSAGE_SIZE",
        "MessageTooBigError",
        "MessageTypeError",
        "WebSocket",
        "WebSocketDisconnect",
        "WebSocketProtocolError",
        "WebSocketState",
        "WebSocketStateError",
        "accept",
        "deny",
    }


def test_errors_belong_to_the_one_tree() -> None:
    assert issubclass(websockets.WebSocketDisconnect, ClientDisconnectedError)
    assert issubclass(websockets.WebSocketStateError, StateError)
    assert issubclass(websockets.WebSocketStateError, RuntimeError)
    assert issubclass(websockets.MessageTooBigError, ContentTooLargeError)
    assert websockets.MessageTooBigError.status_code == 413
    assert websockets.MessageTooBigError.close_code == 1009
    assert issubclass(websockets.MessageTypeError, BadRequestError)
    assert issubclass(websockets.WebSocketProtocolError, AsgikitError)
    assert issubclass(websockets.WebSocketProtocolError, RuntimeError)


def test_default_limit_is_one_mebibyte() -> None:
    assert websockets.DEFAULT_MAX_MESSAGE_SIZE == 1024 * 1024


def test_disconnect_carries_code_and_reason() -> None:
    exc = websockets.WebSocketDisconnect(4000, "bye")
    assert (exc.code, exc.reason) == (4000, "bye")
    assert "4000" in str(exc) and "bye" in str(exc)
    default = websockets.WebSocketDisconnect()
    assert (default.code, default.reason) == (1005, "")
