"""The options of accept(), as a TypedDict: a module the compiled build leaves pure
Python, so that the class keeps its totality at run time (mypyc does not)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypedDict

HeadersArg = Mapping[str, str] | Iterable[tuple[str, str]] | None


class AcceptOptions(TypedDict, total=False):
    """The options of :meth:`WebSocket.accept`, :func:`accept` and
    ``Request.websocket_accept()``. A misspelled option is a type error, and a
    ``TypeError`` when the call runs."""

    #: The subprotocol chosen, one the client offered (``None``: none).
    subprotocol: str | None
    #: Extra handshake response headers; ``Sec-WebSocket-*`` ones are refused.
    headers: HeadersArg
    #: The cap on every read, in bytes (1 MiB); ``None``: no cap of ours.
    max_message_size: int | None
