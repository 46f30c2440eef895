"""The response state machine: every phase, every move and every send, in this module.

Rule: the phase of a response changes only in this module, through
:meth:`ResponseState.transit`, called by the sending methods of :class:`ResponseState`.
(:meth:`ResponseState.respond`, the path of every ``respond_*``, and
:meth:`~ResponseState.start` and :meth:`~ResponseState.end`, the path of every streamed
response, write transit's check and store out in place: a Python call costs about 3% of
a whole small response.)

A move that needs a message on the wire is done in three steps, so that the phase never
says more than is true:

1. claim: the phase moves to a *sending* phase (STARTING or FINISHING) before the first
   ``await``, so a second call running concurrently is refused instead of sending too;
2. send;
3. commit: once ``send`` returned, the phase moves to what the message made true.

If ``send`` raises ``OSError`` (ASGI 2.4: the client is gone), the response is ABORTED,
whatever phase it was in. Any other error from ``send`` (the server refused the message,
the task was cancelled) puts back the phase the response had before the claim, or
STARTED once the status line is out: nothing is recorded that did not happen.

The moves, as data (``respond_*`` sends the start and the last body message in one go,
with no STARTED in between, so no concurrent ``write`` can slip in)::

    action    from       while sending   after      on another error
    start     NEW        STARTING        STARTED    NEW
    respond   NEW        STARTING        FINISHING  NEW
              FINISHING  FINISHING       FINISHED   STARTED
    end       STARTED    FINISHING       FINISHED   STARTED
    write     STARTED    (no move)       STARTED    STARTED
    trailers  STARTED    FINISHING       FINISHED   STARTED   (end_with_trailers)
    any       any        (send raises OSError, or the client is seen gone) → ABORTED
"""

from __future__ import annotations

from asyncio import CancelledError
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Final

from asgikit.asgi import Message, Send
from asgikit.errors import (
    AsgikitError,
    ClientDisconnectedError,
    HeaderValueError,
    ResponseStateError,
)
from asgikit.headers import MutableHeaders, encode_header_value, parse_parameters

if TYPE_CHECKING:
    from asgikit.cookies import ResponseCookies


class ResponsePhase(Enum):
    """Where a response is in its life; see :attr:`asgikit.responses.Response.phase`."""

    NEW = "not started"
    STARTING = "being started"  # the status line and headers are being sent
    STARTED = "already started"  # the body is being written
    FINISHING = "being finished"  # the last body message is being sent
    FINISHED = "already finished"
    ABORTED = "aborted by the client's disconnect"


# Module-level aliases: a global load is cheaper than an Enum attribute lookup, and the
# phases are compared on every response.
NEW: Final = ResponsePhase.NEW
STARTING: Final = ResponsePhase.STARTING
STARTED: Final = ResponsePhase.STARTED
FINISHING: Final = ResponsePhase.FINISHING
FINISHED: Final = ResponsePhase.FINISHED
ABORTED: Final = ResponsePhase.ABORTED

_TEXT_LIKE: Final = frozenset({"application/javascript", "application/xml", "image/svg+xml"})
_content_types: Final[dict[tuple[str, str], bytes]] = {}
# The Content-Type line of the commonest media types, ready to send.
_common_types: Final = {
    "text/plain": (b"content-type", b"text/plain; charset=utf-8"),
    "text/html": (b"content-type", b"text/html; charset=utf-8"),
    "application/json": (b"content-type", b"application/json"),
    "application/octet-stream": (b"content-type", b"application/octet-stream"),
}
# Content-Length values of small bodies, made once: formatting one costs a fair share of
# a small response.
_LENGTHS: Final = tuple(b"%d" % n for n in range(2048))


def content_type_value(media_type: str, encoding: str) -> str:
    """The Content-Type for ``media_type``: text types (``text/*``, JavaScript, XML, SVG)
    get ``; charset=encoding`` unless they name a charset already.

    The type and the parameter names are matched case-insensitively (RFC 9110 §8.3.1,
    §5.6.6: "Parameter names are case-insensitive"), so ``CHARSET=`` counts.
    """
    main, params = parse_parameters(media_type)
    if (main.startswith("text/") or main in _TEXT_LIKE) and "charset" not in params:
        return f"{media_type}; charset={encoding}"
    return media_type


def _content_type_header(media_type: str, encoding: str) -> bytes:
    key = (media_type, encoding)
    value = _content_types.get(key)
    if value is None:
        value = encode_header_value(content_type_value(media_type, encoding))
        if len(_content_types) < 256:  # a bounded memo: past it, values are computed
            _content_types[key] = value
    return value


def check_status(value: object) -> int:
    """``value`` as a status code, or :class:`~asgikit.errors.HeaderValueError` unless it
    is an ``int`` (not a ``bool``) from 100 to 599."""
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise HeaderValueError(f"invalid status {value!r}: it must be an int from 100 to 599")
    return int(value)


def _no_body(status: int) -> bool:
    """RFC 9110 §15.2, §15.3.5, §15.4.5: 1xx, 204 and 304 responses have no content."""
    return status < 200 or status == 204 or status == 304


class ResponseSettings:
    """What the application set on ``request.response`` before it started."""

    __slots__ = ("compress", "cookies", "encoding", "headers", "length", "media_type", "status")

    def __init__(self) -> None:
        self.status = 200
        # Read by a compression middleware over the same scope (asgikit-compression);
        # never sent.
        self.compress = True
        self.headers: MutableHeaders | None = None
        self.cookies: ResponseCookies | None = None
        self.media_type: str | None = None
        self.encoding = "utf-8"
        self.length: int | None = None

    def header_lines(self, media_type: str | None, length: int | None) -> list[tuple[bytes, bytes]]:
        """Content-Type, Content-Length, then the headers and cookies the application
        set (a Content-Type or Content-Length it set wins). Raises
        :class:`~asgikit.errors.HeaderValueError` for a bad media type, having changed
        nothing."""
        lines: list[tuple[bytes, bytes]] = []
        extra = self.headers
        if media_type is not None and (extra is None or "content-type" not in extra):
            lines.append((b"content-type", _content_type_header(media_type, self.encoding)))
        if length is not None and (extra is None or "content-length" not in extra):
            lines.append((b"content-length", b"%d" % length))
        if extra is not None:
            lines.extend(extra.raw)
        if self.cookies:
            lines.extend(self.cookies.header_lines())
        return lines

    def freeze(self, phase: ResponsePhase) -> None:
        """What was sent cannot change: the headers and cookies refuse changes from now on."""
        reason = f"response {phase.value}"
        if self.headers is not None:
            self.headers.freeze(reason)
        if self.cookies is not None:
            self.cookies.freeze(reason)


def _header_lines(
    settings: ResponseSettings | None, media_type: str | None, length: int | None
) -> list[tuple[bytes, bytes]]:
    if settings is not None:
        return settings.header_lines(media_type, length)
    lines: list[tuple[bytes, bytes]] = []
    if media_type is not None:
        lines.append((b"content-type", _content_type_header(media_type, "utf-8")))
    if length is not None:
        lines.append((b"content-length", b"%d" % length))
    return lines


class ResponseState:
    """The state of one response: its settings and its phase, and the sends that move it.

    One object per request, shared by every :class:`~asgikit.requests.Request` over the
    scope (the request's per-request state extends it); :class:`Response` is the public
    view of it. Each sending method takes the ``send`` of the caller, since a middleware
    may wrap ``send`` for the handler.
    """

    __slots__ = ("bodyless", "on_stop", "phase", "settings")

    def __init__(self) -> None:
        self.phase = NEW
        self.settings: ResponseSettings | None = None
        # A started response that sends no body bytes (HEAD; 1xx, 204, 304).
        self.bodyless = False
        # Called when a response leaves STARTED: a streaming writer uses it to check the
        # phase only then, not on every write.
        self.on_stop: Callable[[], None] | None = None

    def get_settings(self) -> ResponseSettings:
        settings = self.settings
        if settings is None:
            settings = self.settings = ResponseSettings()
        return settings

    # -- the one transition ----------------------------------------------------------

    def transit(self, action: str, source: ResponsePhase | None, target: ResponsePhase) -> None:
        """Move from ``source`` (``None``: from any phase) to ``target`` for ``action``;
        the only place the phase changes. In any other phase ``action`` is refused with
        the error :meth:`refusal` gives."""
        phase = self.phase
        if phase is not source and source is not None:
            raise self.refusal(action)
        self.phase = target
        if phase is STARTED and self.on_stop is not None:
            self.on_stop()

    def refusal(self, action: str) -> AsgikitError:
        """Why ``action`` cannot be done in the current phase: a
        :class:`~asgikit.errors.ResponseStateError` naming the action and the phase
        ("cannot write: response already finished"), or a
        :class:`~asgikit.errors.ClientDisconnectedError` once ABORTED."""
        phase = self.phase
        if phase is ABORTED:
            return ClientDisconnectedError(f"cannot {action}: the client disconnected")
        return ResponseStateError(f"cannot {action}: response {phase.value}")

    def client_gone(self) -> None:
        """The client is known to be gone: a response not FINISHED is ABORTED."""
        if self.phase is not FINISHED and self.phase is not ABORTED:
            self.transit("abort", None, ABORTED)
            if self.settings is not None:
                self.settings.freeze(ABORTED)

    def lost(self, exc: OSError) -> ClientDisconnectedError:
        """A send failed because the client is gone (ASGI 2.4): ABORTED, from any phase."""
        self.client_gone()
        error = ClientDisconnectedError("the client disconnected")
        error.__cause__ = exc
        return error

    def _undo(
        self, action: str, during: ResponsePhase, back: ResponsePhase, exc: BaseException
    ) -> None:
        """A send failed for another reason than a gone client: put the phase back. A
        send that was cancelled may have gone out already (servers write, then wait for
        the transport), so a cancelled send ABORTs instead: never a second start."""
        if isinstance(exc, CancelledError):
            self.client_gone()
        elif self.phase is during:
            self.transit(action, during, back)

    # -- the sends ---------------------------------------------------------------------

    async def respond(
        self, send: Send, body: bytes, status: int | None, media_type: str | None, head: bool
    ) -> None:
        """Start and finish a response in one go. ``media_type`` is sent as given; 1xx,
        204 and 304 responses go without body or Content-Length (RFC 9110 §6.4.1, §8.6),
        and a HEAD request gets the headers only."""
        # transit("respond", NEW, STARTING), written out (see the module's docstring).
        if self.phase is not NEW:
            raise self.refusal("respond")
        self.phase = STARTING
        settings = self.settings
        try:
            if status is None and settings is None:  # nothing set beforehand: the common case
                status = 200
                size = len(body)
                length = (b"content-length", _LENGTHS[size] if size < 2048 else b"%d" % size)
                if media_type is None:
                    headers = [length]
                else:
                    headers = [
                        _common_types.get(media_type)
                        or (b"content-type", _content_type_header(media_type, "utf-8")),
                        length,
                    ]
            else:
                if status is None:
                    status = 200 if settings is None else settings.status
                else:
                    status = check_status(status)
                if _no_body(status):
                    headers = _header_lines(settings, None, None)
                    body = b""
                else:
                    headers = _header_lines(settings, media_type, len(body))
            await send({"type": "http.response.start", "status": status, "headers": headers})
        except OSError as exc:
            raise self.lost(exc) from exc
        except BaseException as exc:
            self._undo("respond", STARTING, NEW, exc)
            raise
        # transit("respond", STARTING, FINISHING), written out.
        if self.phase is not STARTING:
            raise self.refusal("respond")
        self.phase = FINISHING
        if settings is not None:
            settings.freeze(STARTED)
        try:
            await send({"type": "http.response.body", "body": b"" if head else body})
        except OSError as exc:
            raise self.lost(exc) from exc
        except BaseException as exc:
            self._undo("respond", FINISHING, STARTED, exc)
            raise
        # transit("respond", FINISHING, FINISHED), written out.
        if self.phase is not FINISHING:
            raise self.refusal("respond")
        self.phase = FINISHED

    async def start(
        self,
        send: Send,
        status: int | None,
        media_type: str | None,
        content_length: int | None,
        head: bool,
        trailers: bool = False,
    ) -> None:
        """Send the status line and headers: NEW → STARTED. ``None`` takes the setting.
        ``trailers`` announces trailer fields (:meth:`end_with_trailers` ends it)."""
        # transit("start", NEW, STARTING), written out: the path of every streamed response.
        if self.phase is not NEW:
            raise self.refusal("start")
        self.phase = STARTING
        settings = self.settings
        try:
            if status is None:
                status = 200 if settings is None else settings.status
            else:
                status = check_status(status)
            if settings is not None:
                if media_type is None:
                    media_type = settings.media_type
                if content_length is None:
                    content_length = settings.length
            # _no_body(status), written out.
            bodyless = status < 200 or status == 204 or status == 304
            if bodyless:  # no Content-Type or Content-Length, as respond() sends them
                headers = _header_lines(settings, None, None)
            elif settings is None and content_length is None and media_type is not None:
                common = _common_types.get(media_type)
                headers = [common] if common else _header_lines(None, media_type, None)
            else:
                headers = _header_lines(settings, media_type, content_length)
            if trailers:
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": headers,
                        "trailers": True,
                    }
                )
            else:
                await send({"type": "http.response.start", "status": status, "headers": headers})
        except OSError as exc:
            raise self.lost(exc) from exc
        except BaseException as exc:
            self._undo("start", STARTING, NEW, exc)
            raise
        self.bodyless = bodyless or head
        # transit("start", STARTING, STARTED), written out.
        if self.phase is not STARTING:
            raise self.refusal("start")
        self.phase = STARTED
        if settings is not None:
            settings.freeze(STARTED)

    async def write(self, send: Send, data: bytes) -> None:
        """Send a piece of the body of a STARTED response (nothing when it has no body)."""
        if self.phase is not STARTED:
            raise self.refusal("write")
        if data and not self.bodyless:
            try:
                await send({"type": "http.response.body", "body": data, "more_body": True})
            except OSError as exc:
                raise self.lost(exc) from exc

    async def end(self, send: Send, message: Message | None, data: bytes = b"") -> None:
        """Send the last message, ``message`` or the body ``data``: STARTED → FINISHED."""
        # transit("end", STARTED, FINISHING), written out, on_stop included.
        if self.phase is not STARTED:
            raise self.refusal("end")
        self.phase = FINISHING
        if self.on_stop is not None:
            self.on_stop()
        if message is None:
            message = {"type": "http.response.body", "body": b"" if self.bodyless else data}
        try:
            await send(message)
        except OSError as exc:
            raise self.lost(exc) from exc
        except BaseException as exc:
            self._undo("end", FINISHING, STARTED, exc)
            raise
        # transit("end", FINISHING, FINISHED), written out.
        if self.phase is not FINISHING:
            raise self.refusal("end")
        self.phase = FINISHED

    async def end_with_trailers(self, send: Send, trailers: list[tuple[bytes, bytes]]) -> None:
        """End the body, then send the trailer fields: STARTED → FINISHED. The response
        must have been started with ``trailers=True`` (ASGI ``http.response.trailers``)."""
        self.transit("send trailers", STARTED, FINISHING)
        try:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError as exc:
            raise self.lost(exc) from exc
        except BaseException as exc:
            self._undo("send trailers", FINISHING, STARTED, exc)
            raise
        try:
            await send(
                {"type": "http.response.trailers", "headers": trailers, "more_trailers": False}
            )
        except OSError as exc:
            raise self.lost(exc) from exc
        except BaseException:
            # The body is ended: the response can neither go back nor be completed.
            self.client_gone()
            raise
        self.transit("send trailers", FINISHING, FINISHED)
