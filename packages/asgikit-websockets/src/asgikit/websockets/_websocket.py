"""The WebSocket connection: a NEW → ACCEPTED → CLOSED state machine over ASGI messages.

A :class:`WebSocket` is a thin view, like :class:`~asgikit.requests.Request`: the
connection's state lives in one slotted :class:`_Connection` kept in ``request.extras``
under ``"asgikit-websockets"``, so every ``WebSocket`` built over the same scope (a
middleware's and the handler's) agrees on whether it is accepted or closed, while each
one talks through the ``receive``/``send`` of its own ``Request``.

State machine (the README has the full table)::

    NEW ──accept()──▶ ACCEPTED ──close() / client disconnect / too big──▶ CLOSED
     └──close() / deny() / client gone during the handshake────────────────▲
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from contextlib import suppress
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, NoReturn, Unpack

from asgikit import json_codec
from asgikit.errors import HeaderValueError
from asgikit.headers import MutableHeaders, RawHeaders
from asgikit.json_codec import JSONDumps, JSONTextLoads
from asgikit.responses import check_status
from asgikit.websockets._errors import (
    ABNORMAL_CLOSURE,
    MESSAGE_TOO_BIG,
    NO_STATUS_RECEIVED,
    NORMAL_CLOSURE,
    TOO_BIG_REASON,
    MessageTooBigError,
    MessageTypeError,
    WebSocketDisconnect,
    WebSocketProtocolError,
    WebSocketStateError,
)
from asgikit.websockets._options import AcceptOptions, HeadersArg

if TYPE_CHECKING:
    from asgikit.asgi import Message
    from asgikit.requests import Request

EXTRAS_KEY: Final = "asgikit-websockets"

DEFAULT_MAX_MESSAGE_SIZE: Final = 1024 * 1024

_ACCEPT_OPTIONS: Final[frozenset[str]] = AcceptOptions.__optional_keys__

# RFC 6455 §7.4.1-7.4.2: the codes an endpoint may put in a close frame. 1004, 1005,
# 1006 and 1015 are reserved and "MUST NOT be set as a status code in a Close control
# frame by an endpoint"; 0-999 and 1016-2999 are unassigned or reserved.
_SENDABLE_CLOSE_CODES: Final = frozenset({1000, 1001, 1002, 1003, *range(1007, 1015)})
# RFC 6455 §5.5: control frame payload <= 125 bytes, two of them for the code.
_MAX_REASON_BYTES: Final = 123


class WebSocketState(Enum):
    """Where a :class:`WebSocket` is in its life."""

    NEW = "new"  # the handshake has not been answered
    ACCEPTED = "accepted"  # messages flow both ways
    CLOSED = "closed"  # closed by either side, or the handshake was refused


_NEW: Final = WebSocketState.NEW
_ACCEPTED: Final = WebSocketState.ACCEPTED
_CLOSED: Final = WebSocketState.CLOSED


class _Connection:
    """What every :class:`WebSocket` over one scope shares."""

    __slots__ = (
        "close_code",
        "close_reason",
        "connected",
        "disconnected",
        "handshaking",
        "max_size",
        "screen",
        "state",
        "subprotocol",
    )

    def __init__(self) -> None:
        self.state = _NEW
        self.connected = False  # websocket.connect received
        # accept() is between its checks and its send: claimed before its first await,
        # so that a concurrent accept(), deny() or close() is refused instead of
        # answering the handshake a second time.
        self.handshaking = False
        # Closed by the client, by a failed send, or by the size guard: every later
        # call raises WebSocketDisconnect with the same code.
        self.disconnected = False
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.subprotocol: str | None = None
        self.max_size = DEFAULT_MAX_MESSAGE_SIZE
        # A text of at most this many characters is at most max_size bytes in UTF-8
        # (4 bytes per character at most), so only longer ones need to be measured.
        self.screen = DEFAULT_MAX_MESSAGE_SIZE // 4

    def set_limit(self, max_size: int | None) -> None:
        if max_size is None:
            max_size = sys.maxsize
        elif max_size < 0:
            raise ValueError(f"max_message_size must be >= 0 or None, got {max_size}")
        self.max_size = max_size
        self.screen = max_size // 4


class WebSocket:
    """A WebSocket connection over the ``websocket`` scope of ``request``.

    ``WebSocket(request)`` gives the connection of the request's scope, NEW until
    :meth:`accept`; :func:`accept` and ``request.websocket_accept()`` build and accept
    it in one call. The handshake's headers, query, cookies and path are on
    :attr:`request`.

    Reading or writing before :meth:`accept`, or after the application closed the
    connection, raises :class:`WebSocketStateError`. Once the client has gone, every read
    and write raises :class:`WebSocketDisconnect` with the client's close code, so that
    a task writing while another one reads ends cleanly whichever notices first.
    """

    __slots__ = ("_conn", "_receive", "_request", "_send")

    def __init__(self, request: Request) -> None:
        scope_type = request.scope["type"]
        if scope_type != "websocket":
            raise WebSocketStateError(
                f"cannot open a WebSocket over an {scope_type!r} scope: "
                "only a 'websocket' scope has one"
            )
        extras = request.extras
        conn: _Connection | None = extras.get(EXTRAS_KEY)
        if conn is None:
            conn = extras[EXTRAS_KEY] = _Connection()
        self._conn = conn
        self._request = request
        self._receive = request.receive
        self._send = request.send

    # -- what the connection knows ---------------------------------------------------

    @property
    def request(self) -> Request:
        """The handshake request: ``headers``, ``query``, ``cookies``, ``path``, ..."""
        return self._request

    @property
    def state(self) -> WebSocketState:
        return self._conn.state

    @property
    def subprotocols(self) -> tuple[str, ...]:
        """The subprotocols the client offered (``Sec-WebSocket-Protocol``), in its order."""
        offered: Iterable[str] = self._request.scope.get("subprotocols") or ()
        return tuple(offered)

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol given to :meth:`accept`, or ``None``."""
        return self._conn.subprotocol

    @property
    def close_code(self) -> int | None:
        """Once closed: the code the client sent (1005 when none) or the application
        closed with. ``None`` while open, and when the handshake was refused."""
        return self._conn.close_code

    @property
    def close_reason(self) -> str | None:
        """Once closed: the close reason (``""`` when none); ``None`` as for
        :attr:`close_code`."""
        return self._conn.close_reason

    @property
    def max_message_size(self) -> int | None:
        """The largest message any read takes, in bytes (text in UTF-8); ``None`` for no
        limit of ours. Set at :meth:`accept` (1 MiB by default), or here."""
        max_size = self._conn.max_size
        return None if max_size == sys.maxsize else max_size

    @max_message_size.setter
    def max_message_size(self, value: int | None) -> None:
        self._conn.set_limit(value)

    # -- the handshake ------------------------------------------------------------------

    async def accept(self, **options: Unpack[AcceptOptions]) -> WebSocket:
        """Accept the handshake and return this connection, now ACCEPTED.

        Takes the ``websocket.connect`` message, then sends ``websocket.accept``.
        ``subprotocol`` must be one the client offered (:attr:`subprotocols`);
        ``headers`` are extra handshake response headers (``Sec-WebSocket-*`` headers
        belong to the server and are refused, as the ASGI spec asks). Invalid values
        raise :class:`~asgikit.errors.HeaderValueError` before anything is sent.
        ``max_message_size`` caps every read (``None``: no cap of ours).

        Raises :class:`WebSocketDisconnect` when the client left during the handshake,
        or had left before this call; :class:`WebSocketStateError` when ACCEPTED, or
        CLOSED by the application (:meth:`deny`, :meth:`close`); ``TypeError`` for an
        option that :class:`AcceptOptions` does not name.
        """
        if not options.keys() <= _ACCEPT_OPTIONS:
            name = next(name for name in options if name not in _ACCEPT_OPTIONS)
            raise TypeError(f"accept() got an unexpected keyword argument {name!r}")
        # Read as an object: a wrong type is refused below with HeaderValueError, before
        # the compiled build's own check of the declared type would raise a TypeError.
        given: Mapping[str, object] = options
        subprotocol = given.get("subprotocol")
        conn = self._conn
        if conn.state is not _NEW or conn.handshaking:
            raise self._refusal("accept")
        if subprotocol is not None and subprotocol not in self.subprotocols:
            # RFC 6455 §4.2.2: the server selects "one or none" of the client's values.
            raise HeaderValueError(
                f"cannot accept subprotocol {subprotocol!r}: the client offered "
                f"{list(self.subprotocols)}"
            )
        raw_headers = _encode_headers(options.get("headers"), handshake=True)
        conn.set_limit(options.get("max_message_size", DEFAULT_MAX_MESSAGE_SIZE))
        conn.handshaking = True
        try:
            if not conn.connected:
                message = await self._receive()
                kind = message["type"]
                if kind == "websocket.disconnect":
                    raise self._gone(message)
                if kind != "websocket.connect":
                    raise WebSocketProtocolError(
                        f"expected ASGI message 'websocket.connect', got {kind!r}"
                    )
                conn.connected = True
            reply: Message = {"type": "websocket.accept", "subprotocol": subprotocol}
            if raw_headers:
                reply["headers"] = raw_headers
            try:
                await self._send(reply)
            except OSError as exc:  # ASGI 2.4: send() on a closed connection raises OSError
                raise self._lost(exc) from exc
        finally:
            conn.handshaking = False
        conn.state = _ACCEPTED
        conn.subprotocol = subprotocol
        return self

    async def deny(
        self,
        status: int = 403,
        *,
        headers: HeadersArg = None,
        body: bytes = b"",
    ) -> bool:
        """Refuse the handshake with an HTTP response, when the server can send one.

        With the ``websocket.http.response`` extension in the scope, sends
        ``websocket.http.response.start`` (``status``, ``headers``) and
        ``websocket.http.response.body`` (``body``) and returns ``True``. Without it,
        sends ``websocket.close``, which the server answers with 403, and returns
        ``False``. The connection is CLOSED afterwards.

        Raises :class:`~asgikit.errors.HeaderValueError`, before anything is sent, when
        ``status`` is not an ``int`` from 200 to 599 (``bool`` refused) or a header is
        invalid; :class:`WebSocketStateError` once ACCEPTED (use :meth:`close`). Does
        nothing and returns ``False`` once CLOSED.
        """
        conn = self._conn
        if conn.state is _CLOSED:
            return False
        if conn.handshaking:
            raise self._refusal("deny")
        if conn.state is _ACCEPTED:
            raise WebSocketStateError(
                "cannot deny: the websocket is already accepted (state ACCEPTED); "
                "close() it with a close code instead"
            )
        # A 1xx is not a final response: it cannot answer the handshake.
        if check_status(status) < 200:
            raise HeaderValueError(f"invalid denial status {status}: it must be 200 to 599")
        raw_headers = _encode_headers(headers, handshake=False)
        conn.state = _CLOSED
        extensions = self._request.scope.get("extensions") or {}
        try:
            if "websocket.http.response" in extensions:
                await self._send(
                    {
                        "type": "websocket.http.response.start",
                        "status": status,
                        "headers": raw_headers,
                    }
                )
                await self._send(
                    {"type": "websocket.http.response.body", "body": body, "more_body": False}
                )
                return True
            await self._send({"type": "websocket.close", "code": NORMAL_CLOSURE, "reason": ""})
        except OSError:
            pass  # the client is gone: there is nobody to refuse
        return False

    # -- reading --------------------------------------------------------------------------

    async def read(self) -> str | bytes:
        """The next message: ``str`` for a text frame (``""`` for an empty one), ``bytes``
        for a binary frame.

        Raises :class:`WebSocketDisconnect` when the client disconnects, and
        :class:`MessageTooBigError` (a ``WebSocketDisconnect``, after closing with 1009)
        for a message over :attr:`max_message_size`.
        """
        conn = self._conn
        if conn.state is not _ACCEPTED:
            raise self._refusal("read")
        message = await self._receive()
        if message["type"] == "websocket.receive":
            # ASGI: exactly one of "text" and "bytes" is not None; either may be absent.
            text: str | None = message.get("text")
            if text is not None:
                if len(text) > conn.screen:
                    await self._check_text(text)
                return text
            data: bytes | None = message.get("bytes")
            if data is not None:
                if len(data) > conn.max_size:
                    await self._too_big(len(data))
                return data
            raise WebSocketProtocolError("'websocket.receive' with neither 'text' nor 'bytes'")
        raise self._unexpected(message)

    async def read_text(self) -> str:
        """The next message, which must be text: a binary one raises
        :class:`MessageTypeError` (it is consumed; the connection stays open)."""
        message = await self.read()
        if isinstance(message, str):
            return message
        raise MessageTypeError(expected="text", received="bytes")

    async def read_bytes(self) -> bytes:
        """The next message, which must be binary: a text one raises
        :class:`MessageTypeError` (it is consumed; the connection stays open)."""
        message = await self.read()
        if isinstance(message, bytes):
            return message
        raise MessageTypeError(expected="bytes", received="text")

    async def read_json(self, *, loads: JSONTextLoads = json.loads) -> Any:
        """The next message (text or binary) parsed as JSON with ``loads``
        (``orjson.loads``, ``msgspec.json.decode``, ...). A message that is not JSON,
        the empty one included, raises :class:`~asgikit.errors.InvalidJSONError`."""
        return json_codec.loads(await self.read(), loads, what="the websocket message")

    def __aiter__(self) -> WebSocket:
        return self

    async def __anext__(self) -> str | bytes:
        """Messages as :meth:`read` gives them, until the connection closes (either side)."""
        if self._conn.state is _CLOSED:
            raise StopAsyncIteration
        try:
            return await self.read()
        except WebSocketDisconnect:
            raise StopAsyncIteration from None

    # -- writing --------------------------------------------------------------------------

    async def write(self, data: str | bytes) -> None:
        """Send ``data``: a ``str`` as a text frame, ``bytes`` as a binary frame.

        Raises :class:`WebSocketDisconnect` (code 1006) when the send fails because the
        client is gone.
        """
        if self._conn.state is not _ACCEPTED:
            raise self._refusal("write")
        # type() is checked before isinstance(): the exact types are the hot path.
        if type(data) is str:
            message: dict[str, Any] = {"type": "websocket.send", "text": data}
        elif type(data) is bytes:
            message = {"type": "websocket.send", "bytes": data}
        else:
            message = _send_message(data)
        try:
            await self._send(message)
        except OSError as exc:  # ASGI 2.4: send() on a closed connection raises OSError
            raise self._lost(exc) from exc

    async def write_json(
        self, obj: Any, *, dumps: JSONDumps = json_codec.dumps, binary: bool = False
    ) -> None:
        """Send ``obj`` as JSON: a text frame, or a binary one with ``binary=True``.

        ``dumps`` takes the codec (``orjson.dumps``, ...); the default writes compact
        UTF-8 JSON and refuses NaN and infinities with ``ValueError``.
        """
        data = dumps(obj)
        if binary:
            await self.write(data.encode() if isinstance(data, str) else data)
        else:
            await self.write(data if isinstance(data, str) else data.decode())

    # -- closing --------------------------------------------------------------------------

    async def close(self, code: int = NORMAL_CLOSURE, reason: str = "") -> None:
        """Close the connection with ``code`` and ``reason``; before :meth:`accept` this
        refuses the handshake (the server answers 403). Does nothing once CLOSED.

        ``code`` must be one RFC 6455 lets an endpoint send (1000-1003, 1007-1014,
        3000-4999) and ``reason`` at most 123 bytes in UTF-8, else ``ValueError``.
        """
        conn = self._conn
        if conn.state is _CLOSED:
            return
        if conn.handshaking:
            raise self._refusal("close")
        if code not in _SENDABLE_CLOSE_CODES and not 3000 <= code <= 4999:
            raise ValueError(
                f"close code {code} may not be sent (RFC 6455 §7.4: 1000-1003, 1007-1014 "
                "or 3000-4999)"
            )
        if len(reason.encode("utf-8")) > _MAX_REASON_BYTES:
            raise ValueError(
                f"close reason is {len(reason.encode('utf-8'))} bytes in UTF-8; "
                f"a close frame holds at most {_MAX_REASON_BYTES}"
            )
        if conn.state is _ACCEPTED:
            conn.close_code = code
            conn.close_reason = reason
        conn.state = _CLOSED
        with suppress(OSError):  # the client is already gone: closed either way
            await self._send({"type": "websocket.close", "code": code, "reason": reason})

    # -- the unhappy paths ------------------------------------------------------------------

    def _refusal(self, action: str) -> Exception:
        conn = self._conn
        state = conn.state
        if state is _NEW and conn.handshaking:
            return WebSocketStateError(
                f"cannot {action}: accept() is answering the handshake (state NEW)"
            )
        if state is _NEW:
            return WebSocketStateError(
                f"cannot {action}: the websocket is not accepted yet (state NEW); accept() it first"
            )
        if state is _ACCEPTED:
            return WebSocketStateError(
                f"cannot {action}: the websocket is already accepted (state ACCEPTED)"
            )
        if conn.disconnected:
            return WebSocketDisconnect(
                conn.close_code if conn.close_code is not None else NO_STATUS_RECEIVED,
                conn.close_reason or "",
            )
        if conn.close_code is None:
            how = "the application refused the handshake"
        else:
            how = f"the application closed it with code {conn.close_code}"
        return WebSocketStateError(
            f"cannot {action}: the websocket is closed (state CLOSED): {how}"
        )

    def _closed_by_client(self, code: int, reason: str) -> WebSocketDisconnect:
        conn = self._conn
        if conn.state is not _CLOSED:
            conn.state = _CLOSED
            conn.disconnected = True
            conn.close_code = code
            conn.close_reason = reason
        return WebSocketDisconnect(code, reason)

    def _gone(self, message: Message) -> WebSocketDisconnect:
        # ASGI: "code" defaults to 1005; "reason" is optional and may be None.
        return self._closed_by_client(
            message.get("code", NO_STATUS_RECEIVED), message.get("reason") or ""
        )

    def _lost(self, exc: OSError) -> WebSocketDisconnect:
        # A send failed: the client vanished without a close frame we could see. The
        # cause is set here as well as by `raise ... from`, which the compiled build
        # (mypyc) does not keep when the raise follows an await.
        error = self._closed_by_client(ABNORMAL_CLOSURE, "")
        error.__cause__ = exc
        return error

    def _unexpected(self, message: Message) -> Exception:
        kind = message["type"]
        if kind == "websocket.disconnect":
            return self._gone(message)
        return WebSocketProtocolError(
            f"expected ASGI message 'websocket.receive' or 'websocket.disconnect', got {kind!r}"
        )

    async def _check_text(self, text: str) -> None:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > self._conn.max_size:
            await self._too_big(size)

    async def _too_big(self, size: int) -> NoReturn:
        # Close first, so that the connection ends with 1009 even if the error is not
        # handled (the server would otherwise close with 1011, "internal error"). From
        # then on it is a disconnect: MessageTooBigError is a WebSocketDisconnect, and
        # every later call raises WebSocketDisconnect(1009) as after a client's close.
        conn = self._conn
        limit = conn.max_size
        await self.close(MESSAGE_TOO_BIG, TOO_BIG_REASON)
        conn.disconnected = True
        raise MessageTooBigError(size=size, limit=limit)

    def __repr__(self) -> str:
        return f"<WebSocket {self._request.path} {self._conn.state.name}>"


def _send_message(data: object) -> dict[str, Any]:
    if isinstance(data, str):
        return {"type": "websocket.send", "text": str(data)}
    if isinstance(data, bytes | bytearray | memoryview):
        return {"type": "websocket.send", "bytes": bytes(data)}
    raise TypeError(f"write() takes str or bytes, got {type(data).__name__}")


def _encode_headers(headers: HeadersArg, *, handshake: bool) -> RawHeaders:
    if not headers:
        return []
    raw = MutableHeaders(headers).raw
    if handshake:
        for name, _ in raw:
            if name.startswith(b"sec-websocket-"):
                # ASGI: "If this includes the Sec-WebSocket-Protocol header, the server
                # should raise an exception"; the other Sec-WebSocket-* are the server's.
                raise HeaderValueError(
                    f"cannot set {name.decode('latin-1')!r} at accept: the server writes "
                    "Sec-WebSocket-* headers (pass subprotocol= to choose the subprotocol)"
                )
    return raw


async def accept(request: Request, **options: Unpack[AcceptOptions]) -> WebSocket:
    """Accept the WebSocket handshake of ``request``; see :meth:`WebSocket.accept`.

    ``request.websocket_accept(...)`` calls this.
    """
    return await WebSocket(request).accept(**options)


async def deny(
    request: Request,
    status: int = 403,
    *,
    headers: HeadersArg = None,
    body: bytes = b"",
) -> bool:
    """Refuse the WebSocket handshake of ``request``; see :meth:`WebSocket.deny`."""
    return await WebSocket(request).deny(status, headers=headers, body=body)
