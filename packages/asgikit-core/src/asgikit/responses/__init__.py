"""The response side of a request: what is set before responding, and how it is sent.

There is no response object to return. ``request.response`` is a :class:`Response`: a
view of the response state kept in the scope, where the status, headers and cookies are
set before responding. The ``respond_*`` methods of :class:`~asgikit.requests.Request`
send through it.

A response moves NEW → STARTED → FINISHED, in that order only::

    NEW ──start()──▶ STARTED ──end() / end_with()──▶ FINISHED
     │                  └──the client disconnects──▶ ABORTED
     └───────────────respond_*(...)───────────────────▲

A move the machine does not allow raises :class:`~asgikit.errors.ResponseStateError`
naming the state and the action. A phase is recorded only once the send that makes it
true has succeeded: a response refused for its settings (a bad status or header) leaves
the state as it was, and a send that fails because the client is gone (``OSError``,
ASGI 2.4) leaves it ABORTED. HEAD requests, and 1xx, 204 and 304 responses, get their
headers and no body (RFC 9110 §15.3.5, §15.4.5), streamed or not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from asgikit.asgi import Message, Scope, Send
from asgikit.cookies import ResponseCookies
from asgikit.errors import (
    AsgikitError,
    ClientDisconnectedError,
    HeaderValueError,
    ResponseStateError,
)
from asgikit.headers import MutableHeaders, encode_header_value, parse_parameters
from asgikit.responses._phase import ABORTED, FINISHED, NEW, STARTED
from asgikit.responses._phase import NAMES as PHASE_NAMES
from asgikit.responses._sse import ServerSentEvent

if TYPE_CHECKING:
    from asgikit.requests._state import RequestState, ResponseSettings

__all__ = ["Response", "ServerSentEvent", "check_status", "content_type_value"]


_TEXT_LIKE = frozenset({"application/javascript", "application/xml", "image/svg+xml"})
_content_types: dict[tuple[str, str], bytes] = {}


_utf8_types = {
    "text/plain": b"text/plain; charset=utf-8",
    "text/html": b"text/html; charset=utf-8",
    "application/json": b"application/json",
    "application/octet-stream": b"application/octet-stream",
}


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
        if len(_content_types) < 256:
            _content_types[key] = value
    return value


def _unwritable(action: str, phase: int) -> AsgikitError:
    """Why a response in ``phase`` (not STARTED) cannot ``action``."""
    if phase == ABORTED:
        return ClientDisconnectedError("the client disconnected")
    if phase == NEW:
        return ResponseStateError(f"cannot {action}: response not started")
    return ResponseStateError(f"cannot {action}: response already finished")


def _state_error(action: str, phase: int) -> ResponseStateError:
    return ResponseStateError(f"cannot {action}: response already {PHASE_NAMES[phase]}")


def _header_lines(
    settings: ResponseSettings | None, media_type: str | None, length: int | None
) -> list[tuple[bytes, bytes]]:
    """The header lines of a response: Content-Type, Content-Length, then the headers
    and cookies the application set (a Content-Type or Content-Length it set wins).
    Raises :class:`HeaderValueError` for a bad media type, having changed nothing."""
    lines: list[tuple[bytes, bytes]] = []
    if settings is None:
        if media_type is not None:
            lines.append((b"content-type", _content_type_header(media_type, "utf-8")))
        if length is not None:
            lines.append((b"content-length", b"%d" % length))
        return lines
    extra = settings.headers
    if media_type is not None and (extra is None or "content-type" not in extra):
        lines.append((b"content-type", _content_type_header(media_type, settings.encoding)))
    if length is not None and (extra is None or "content-length" not in extra):
        lines.append((b"content-length", b"%d" % length))
    if extra is not None:
        lines.extend(extra.raw)
    if settings.cookies:
        lines.extend(settings.cookies.header_lines())
    return lines


def _no_body(status: int) -> bool:
    """RFC 9110 §15.2, §15.3.5, §15.4.5: 1xx, 204 and 304 responses have no content."""
    return status < 200 or status == 204 or status == 304


def _freeze(settings: ResponseSettings | None, phase: int) -> None:
    """What was sent cannot change: the headers and cookies refuse changes from now on."""
    if settings is not None:
        reason = f"response already {PHASE_NAMES[phase]}"
        if settings.headers is not None:
            settings.headers.freeze(reason)
        if settings.cookies is not None:
            settings.cookies.freeze(reason)


def _lost(state: RequestState, exc: OSError) -> ClientDisconnectedError:
    """A send failed because the client is gone (ASGI 2.4): the response is ABORTED,
    whatever it had reached, and nothing more can be sent or read."""
    state.get_inbound().disconnected = True
    state.stop(ABORTED)
    _freeze(state.settings, ABORTED)
    error = ClientDisconnectedError("the client disconnected")
    error.__cause__ = exc
    return error


async def _emit(state: RequestState, send: Send, message: Message) -> None:
    """``send(message)``, turning the OSError of a gone client (ASGI 2.4) into
    :class:`ClientDisconnectedError`."""
    try:
        await send(message)
    except OSError as exc:
        raise _lost(state, exc) from exc


async def _send_whole(
    state: RequestState,
    scope: Scope,
    send: Send,
    body: bytes,
    status: int | None,
    media_type: str | None,
) -> None:
    """Start and finish a response in one go. ``media_type`` is sent as given; 1xx, 204
    and 304 responses go without body or Content-Length (RFC 9110 §6.4.1, §8.6).
    The phase moves with each send that succeeds: STARTED, then FINISHED."""
    if state.phase != NEW:
        raise _state_error("respond", state.phase)
    settings = state.settings
    if status is None and settings is None:  # nothing set beforehand: the common case
        status = 200
        length = b"%d" % len(body)
        if media_type is None:
            headers = [(b"content-length", length)]
        else:
            content_type = _utf8_types.get(media_type) or _content_type_header(media_type, "utf-8")
            headers = [(b"content-type", content_type), (b"content-length", length)]
    else:
        status = check_status(status) if status is not None else settings.status  # type: ignore[union-attr]
        if _no_body(status):
            headers = _header_lines(settings, None, None)
            body = b""
        else:
            headers = _header_lines(settings, media_type, len(body))
    if scope.get("method") == "HEAD":
        body = b""
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        state.phase = STARTED
        _freeze(settings, STARTED)
        await send({"type": "http.response.body", "body": body})
    except OSError as exc:
        raise _lost(state, exc) from exc
    state.phase = FINISHED


def check_status(value: object) -> int:
    """``value`` as a status code, or :class:`~asgikit.errors.HeaderValueError` unless it
    is an ``int`` (not a ``bool``) from 100 to 599."""
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise HeaderValueError(f"invalid status {value!r}: it must be an int from 100 to 599")
    return int(value)


class Response:
    """The response of one request: status, headers and cookies, then sending.

    Changes to the status, headers, cookies, media type or encoding take effect when the
    response starts; setting them after that raises
    :class:`~asgikit.errors.ResponseStateError`.
    """

    __slots__ = ("_head", "_send", "_state")

    def __init__(self, scope: Scope, state: RequestState, send: Send) -> None:
        self._state = state
        self._send = send
        self._head = scope.get("method") == "HEAD"

    def _settings(self, action: str) -> ResponseSettings:
        if self._state.phase != NEW:
            raise _state_error(action, self._state.phase)
        return self._state.get_settings()

    @property
    def status(self) -> int:
        """The status code to send (200 unless set)."""
        settings = self._state.settings
        return 200 if settings is None else settings.status

    @status.setter
    def status(self, value: int) -> None:
        self._settings("set the status").status = check_status(value)

    @property
    def headers(self) -> MutableHeaders:
        """The headers to send; each value is its own header line."""
        settings = self._state.get_settings()
        if settings.headers is None:
            settings.headers = MutableHeaders()
            if self._state.phase != NEW:
                settings.headers.freeze(f"response already {PHASE_NAMES[self._state.phase]}")
        return settings.headers

    @property
    def cookies(self) -> ResponseCookies:
        """The cookies to set; each is its own Set-Cookie line."""
        settings = self._state.get_settings()
        if settings.cookies is None:
            settings.cookies = ResponseCookies()
            if self._state.phase != NEW:
                settings.cookies.freeze(f"response already {PHASE_NAMES[self._state.phase]}")
        return settings.cookies

    @property
    def media_type(self) -> str | None:
        """The media type for Content-Type; ``respond_*`` use their own when unset."""
        settings = self._state.settings
        return None if settings is None else settings.media_type

    @media_type.setter
    def media_type(self, value: str | None) -> None:
        self._settings("set the media type").media_type = value

    @property
    def encoding(self) -> str:
        """The charset of text (``utf-8`` unless set), added to text media types."""
        settings = self._state.settings
        return "utf-8" if settings is None else settings.encoding

    @encoding.setter
    def encoding(self, value: str) -> None:
        settings = self._settings("set the encoding")
        "".encode(value)  # an unknown codec raises LookupError now rather than later
        settings.encoding = value

    @property
    def content_length(self) -> int | None:
        """The Content-Length of a streamed response, when known in advance."""
        settings = self._state.settings
        return None if settings is None else settings.length

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is not None and (type(value) is not int or value < 0):
            raise HeaderValueError(f"invalid content length {value!r}")
        self._settings("set the content length").length = value

    @property
    def is_started(self) -> bool:
        """Whether the status line and headers were sent, or the client left while the
        response was being sent (ABORTED: nothing more can be sent)."""
        return self._state.phase != NEW

    @property
    def is_finished(self) -> bool:
        """Whether the whole response was sent."""
        return self._state.phase == FINISHED

    @property
    def is_head(self) -> bool:
        """Whether the request is HEAD, so that no body is sent."""
        return self._head

    async def start(
        self,
        *,
        status: int | None = None,
        media_type: str | None = None,
        content_length: int | None = None,
    ) -> None:
        """Send the status line and headers; NEW → STARTED.

        ``status``, ``media_type`` and ``content_length`` override what was set.
        """
        state = self._state
        if state.phase != NEW:
            raise _state_error("start", state.phase)
        settings = state.settings
        if status is None:
            status = 200 if settings is None else settings.status
        else:
            status = check_status(status)
        if media_type is None and settings is not None:
            media_type = settings.media_type
        if content_length is None and settings is not None:
            content_length = settings.length
        bodyless = _no_body(status)
        if bodyless:  # no Content-Type or Content-Length, as respond_* sends them
            headers = _header_lines(settings, None, None)
        else:
            headers = _header_lines(settings, media_type, content_length)
        await _emit(
            state, self._send, {"type": "http.response.start", "status": status, "headers": headers}
        )
        state.phase = STARTED
        state.bodyless = bodyless or self._head
        _freeze(settings, STARTED)

    async def write(self, data: bytes) -> None:
        """Send a piece of the body; the response must be started and not finished.

        Raises :class:`ClientDisconnectedError` once the client is known to be gone.
        """
        state = self._state
        if state.phase != STARTED:
            raise _unwritable("write", state.phase)
        if data and not state.bodyless:
            try:
                await self._send({"type": "http.response.body", "body": data, "more_body": True})
            except OSError as exc:
                raise _lost(state, exc) from exc

    async def end(self, data: bytes = b"") -> None:
        """Send the last piece of the body; STARTED → FINISHED."""
        state = self._state
        if state.phase != STARTED:
            raise _unwritable("end", state.phase)
        await _emit(
            state,
            self._send,
            {"type": "http.response.body", "body": b"" if state.bodyless else data},
        )
        state.stop(FINISHED)

    async def end_with(self, message: Message) -> None:
        """Finish a started response with a message of a server extension.

        For example ``{"type": "http.response.pathsend", "path": ...}`` when the scope's
        ``extensions`` include ``http.response.pathsend``. STARTED → FINISHED.
        """
        state = self._state
        if state.phase != STARTED:
            raise _unwritable("end", state.phase)
        await _emit(state, self._send, message)
        state.stop(FINISHED)
