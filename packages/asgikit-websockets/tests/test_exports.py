"""The public names of asgikit.websockets, pinned, and where its errors sit in the tree."""

from __future__ import annotations

import importlib.machinery
from pathlib import Path

import asgikit.websockets as websockets
from asgikit.errors import (
    AsgikitError,
    BadRequestError,
    ClientDisconnectedError,
    ClientError,
    StateError,
)
from asgikit.testing import portion_problems

PUBLIC: dict[str, list[str]] = {
    "asgikit.websockets": [
        "COMPILED",
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
    ],
}

SRC = Path(__file__).resolve().parent.parent / "src" / "asgikit"


def test_every_public_module_is_pinned_with_its_names() -> None:
    assert portion_problems(SRC, PUBLIC) == []


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


def test_disconnect_carries_code_and_reason() -> None:
    exc = websockets.WebSocketDisconnect(4000, "bye")
    assert (exc.code, exc.reason) == (4000, "bye")
    assert "4000" in str(exc) and "bye" in str(exc)
    default = websockets.WebSocketDisconnect()
    assert (default.code, default.reason) == (1005, "")


def test_compiled_says_which_build_is_loaded() -> None:
    from asgikit.websockets import COMPILED, _websocket

    module_file = str(_websocket.__file__)
    extension = module_file.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    assert COMPILED is extension
