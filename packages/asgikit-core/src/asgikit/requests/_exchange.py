"""The exchange: everything one request/response knows, in one slotted object under one
private key of the ASGI scope.

Every :class:`~asgikit.requests.Request` built over the same scope (a middleware's, then
the handler's) finds this object and so agrees on the parsed headers, the body (its
phase and cache, in :mod:`asgikit.requests._body`) and the response (its settings and
phase: the exchange *is* the :class:`~asgikit.responses.ResponseState`, whose state
machine lives in ``asgikit.responses``). Parts that a request may never need (the
receive side, the response settings) are created on first use, so building a
``Request`` stays cheap.

Not to be confused with ``request.state``: that is the lifespan state the server copies
into every scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from asgikit.requests._body import Inbound
from asgikit.responses import ResponsePhase, ResponseState

if TYPE_CHECKING:
    from asgikit.headers import Headers
    from asgikit.multivalue import MultiValueDict

EXCHANGE_KEY: Final = "asgikit.request"

DEFAULT_MAX_BODY_SIZE: Final = 10 * 1024 * 1024
DEFAULT_MAX_QUERY_PARAMS: Final = 1000

_NEW: Final = ResponsePhase.NEW


class Exchange(ResponseState):
    """Everything one request knows, shared by every ``Request`` over its scope."""

    __slots__ = (
        "authority",
        "cookies",
        "extras",
        "headers",
        "inbound",
        "length",
        "max_body_size",
        "max_query_params",
        "proxied",
        "query",
    )

    def __init__(self) -> None:
        # ResponseState.__init__, written out: super().__init__() would cost about 5% of
        # a small response. A test checks that both start alike.
        self.phase = _NEW
        self.settings = None
        self.bodyless = False
        self.on_stop = None
        self.headers: Headers | None = None
        self.query: MultiValueDict[str] | None = None
        self.cookies: MultiValueDict[str] | None = None
        self.inbound: Inbound | None = None
        self.max_body_size = DEFAULT_MAX_BODY_SIZE
        self.max_query_params = DEFAULT_MAX_QUERY_PARAMS
        # What optional packages keep per request (the websocket, ...), by package name.
        self.extras: dict[str, Any] | None = None
        # The request's (host, port), parsed from Host on first use.
        self.authority: tuple[str, int] | None = None
        # Whether asgikit.proxies.apply_forwarded() has run over this scope.
        self.proxied = False
        # Content-Length, parsed once (-1: not parsed yet; None: absent).
        self.length: int | None = -1

    def get_inbound(self) -> Inbound:
        inbound = self.inbound
        if inbound is None:
            inbound = self.inbound = Inbound()
        return inbound

    def client_gone(self) -> None:
        """The client is gone: reads fail from now on, and an unfinished response is
        ABORTED."""
        self.get_inbound().disconnected = True
        super().client_gone()
