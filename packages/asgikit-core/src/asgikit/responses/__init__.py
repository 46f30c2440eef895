"""The response side of a request: what is set before responding, and how it is sent.

There is no response object to return. ``request.response`` is a :class:`Response`: a
view of the response state kept in the scope, where the status, headers and cookies are
set before responding. The ``respond_*`` methods of :class:`~asgikit.requests.Request`
send through it.

A response moves NEW → STARTED → FINISHED, in that order only (:class:`ResponsePhase`)::

    NEW ──start()──▶ STARTED ──end() / end_with()──▶ FINISHED
     │                  └──the client disconnects──▶ ABORTED
     └───────────────respond_*(...)───────────────────▲

A move the machine does not allow raises :class:`~asgikit.errors.ResponseStateError`
naming the state and the action ("cannot write: response already finished"). While the
status line or the last message is being sent the response is STARTING or FINISHING, so
a second ``respond_*`` running concurrently is refused rather than sent too. A phase is
recorded only once the send that makes it true has succeeded: a response refused for its
settings (a bad status or header) leaves the state as it was, and a send that fails
because the client is gone (``OSError``, ASGI 2.4) leaves it ABORTED, from any phase.
HEAD requests, and 1xx, 204 and 304 responses, get their headers and no body
(RFC 9110 §15.3.5, §15.4.5), streamed or not. The whole machine is in
:mod:`asgikit.responses._state`.
"""

from __future__ import annotations

from asgikit.asgi import Message, Scope, Send
from asgikit.cookies import ResponseCookies
from asgikit.errors import HeaderValueError
from asgikit.headers import MutableHeaders
from asgikit.responses._sse import ServerSentEvent
from asgikit.responses._state import (
    FINISHED,
    NEW,
    STARTING,
    ResponsePhase,
    ResponseSettings,
    ResponseState,
    check_status,
    content_type_value,
)
from asgikit.responses._writer import ResponseWriter

__all__ = [
    "Response",
    "ResponsePhase",
    "ResponseSettings",
    "ResponseState",
    "ResponseWriter",
    "ServerSentEvent",
    "check_status",
    "content_type_value",
]


class Response:
    """The response of one request: status, headers and cookies, then sending.

    Changes to the status, headers, cookies, media type or encoding take effect when the
    response starts; setting them after that raises
    :class:`~asgikit.errors.ResponseStateError`.
    """

    __slots__ = ("_head", "_send", "_state")

    def __init__(self, scope: Scope, state: ResponseState, send: Send) -> None:
        self._state = state
        self._send = send
        self._head = scope.get("method") == "HEAD"

    def _settings(self, action: str) -> ResponseSettings:
        state = self._state
        if state.phase is not NEW:
            raise state.refusal(action)
        return state.get_settings()

    @property
    def phase(self) -> ResponsePhase:
        """Where the response is: NEW, STARTING, STARTED, FINISHING, FINISHED or
        ABORTED (see :class:`ResponsePhase`)."""
        return self._state.phase

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
        state = self._state
        settings = state.get_settings()
        if settings.headers is None:
            settings.headers = MutableHeaders()
            if state.phase is not NEW:
                settings.freeze(state.phase)
        return settings.headers

    @property
    def cookies(self) -> ResponseCookies:
        """The cookies to set; each is its own Set-Cookie line."""
        state = self._state
        settings = state.get_settings()
        if settings.cookies is None:
            settings.cookies = ResponseCookies()
            if state.phase is not NEW:
                settings.freeze(state.phase)
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
    def compress(self) -> bool:
        """Whether a compression middleware may compress this response (``True`` unless
        set). Set ``request.response.compress = False`` before responding to opt one
        response out; the setting lives in the scope, where the middleware reads it
        through its own ``Request``, and is never sent to the client.

        .. versionadded:: 0.2.0
        """
        settings = self._state.settings
        return True if settings is None else settings.compress

    @compress.setter
    def compress(self, value: bool) -> None:
        if type(value) is not bool:
            raise TypeError(f"compress must be a bool, not {value!r}")
        self._settings("set compress").compress = value

    @property
    def is_started(self) -> bool:
        """Whether the status line and headers were sent, or the client left while the
        response was being sent (ABORTED: nothing more can be sent)."""
        phase = self._state.phase
        return phase is not NEW and phase is not STARTING

    @property
    def is_finished(self) -> bool:
        """Whether the whole response was sent."""
        return self._state.phase is FINISHED

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
        await self._state.start(self._send, status, media_type, content_length, self._head)

    async def write(self, data: bytes) -> None:
        """Send a piece of the body; the response must be started and not finished.

        Raises :class:`~asgikit.errors.ClientDisconnectedError` once the client is known
        to be gone.
        """
        await self._state.write(self._send, data)

    async def end(self, data: bytes = b"") -> None:
        """Send the last piece of the body; STARTED → FINISHED."""
        await self._state.end(self._send, None, data)

    async def end_with(self, message: Message) -> None:
        """Finish a started response with a message of a server extension.

        For example ``{"type": "http.response.pathsend", "path": ...}`` when the scope's
        ``extensions`` include ``http.response.pathsend``. STARTED → FINISHED.
        """
        await self._state.end(self._send, message)
