from __future__ import annotations

import inspect

import asgikit.websockets as websockets
from asgikit.errors import (
    AsgikitError,
    BadRequestError,
    ClientDisconnectedError,
    ClientError,
    StateError,
)
from asgikit.websockets import _errors, _websocket


def test_all_lists_the_public_names() -> None:
    exported = set(websockets.__all__)
    assert len(exported) == len(websockets.__all__), "a name is listed twice"
    missing = {name for name in exported if not hasattr(websockets, name)}
    assert not missing, f"in __all__ but not defined: {missing}"
    assert not any(name.startswith("_") for name in exported)
    defined = {
        name
        for name, value in vars(websockets).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__.startswith("asgikit.websockets")
    }
    assert defined <= exported, f"public but not in __all__: {defined - exported}"
    # The private modules' public classes and functions are all exported, too.
    for module in (_errors, _websocket):
        own = {
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and (inspect.isclass(value) or inspect.isfunction(value))
            and value.__module__ == module.__name__
        }
        assert own <= exported, f"{module.__name__} defines unexported {own - exported}"


def test_public_names() -> None:
    assert set(websockets.__all__) == {
        "DEFAULT_MAX_MESSAGE_SIZE",
        "AcceptOptions",
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
    # The guard has closed the connection with 1009: a disconnect, not a request to
    # answer with an HTTP status (issue 10).
    assert issubclass(websockets.MessageTooBigError, websockets.WebSocketDisconnect)
    assert not issubclass(websockets.MessageTooBigError, ClientError)
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
