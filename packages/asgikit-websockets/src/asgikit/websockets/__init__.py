"""WebSocket connections for asgikit.

::

    from asgikit.requests import Request
    from asgikit.websockets import WebSocketDisconnect

    async def app(scope, receive, send):
        request = Request(scope, receive, send)
        ws = await request.websocket_accept()
        while True:
            try:
                message = await ws.read()
                await ws.write(message)
            except WebSocketDisconnect:
                break

A :class:`WebSocket` goes NEW → ACCEPTED → CLOSED. Reads give ``str`` (text frames,
``""`` included) or ``bytes``; typed reads refuse the other frame type; every read takes
at most ``max_message_size`` bytes (1 MiB unless set at accept). See the package README
for the full state table and the server settings that bound messages before they reach
the application.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from asgikit.websockets import _websocket
from asgikit.websockets._errors import (
    MessageTooBigError,
    MessageTypeError,
    WebSocketDisconnect,
    WebSocketProtocolError,
    WebSocketStateError,
)
from asgikit.websockets._options import AcceptOptions
from asgikit.websockets._websocket import (
    DEFAULT_MAX_MESSAGE_SIZE,
    WebSocket,
    WebSocketState,
    accept,
    deny,
)

__all__ = [
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
]

#: ``True`` when this build of asgikit-websockets is the compiled one (mypyc: a platform
#: wheel built with ``ASGIKIT_COMPILE=1``), ``False`` for pure Python.
COMPILED: bool = not str(_websocket.__file__).endswith(".py")
