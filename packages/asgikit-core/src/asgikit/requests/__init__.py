"""The request: read from it, and respond through it.

``Request(scope, receive, send)`` is a thin view over an ASGI ``http`` or ``websocket``
scope. Building one parses nothing; every property parses on first use and the result
is kept in the per-request state stored in the scope, which every ``Request`` over the
same scope shares (see :mod:`asgikit.requests._exchange`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Callable,
    Coroutine,
    Iterable,
    Mapping,
    Sequence,
)
from http import HTTPMethod, HTTPStatus
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from asgikit import json_codec
from asgikit.asgi import Receive, Scope, Send
from asgikit.cookies import parse_cookie_header
from asgikit.errors import (
    ClientDisconnectedError,
    ExtensionUnavailableError,
    HeaderValueError,
    UnsupportedMediaTypeError,
    UnsupportedScopeError,
)
from asgikit.headers import (
    Headers,
    decode_text,
    encode_header_value,
    parse_content_type,
)
from asgikit.headers.accept import AcceptHeader, negotiate
from asgikit.json_codec import JSONDumps, JSONLoads
from asgikit.multivalue import MultiValueDict
from asgikit.query import parse_urlencoded
from asgikit.requests import _body, _events, _optional, _stream, _url
from asgikit.requests._body import MAX_PENDING_BODY
from asgikit.requests._exchange import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_QUERY_PARAMS,
    EXCHANGE_KEY,
)
from asgikit.requests._exchange import Exchange as _Exchange
from asgikit.requests._mypyc import mypyc_attr as _mypyc_attr
from asgikit.responses import Response, ResponsePhase, ResponseWriter, ServerSentEvent

if TYPE_CHECKING:
    from os import PathLike
    from typing import Unpack

    # The option sets of the optional distributions, for type checkers only: core
    # imports nothing of theirs at run time.
    from asgikit.files import FileOptions
    from asgikit.forms import FormData, FormOptions
    from asgikit.websockets import AcceptOptions, WebSocket

__all__ = [
    "COMPILED",
    "JSONDumps",
    "JSONLoads",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_QUERY_PARAMS",
    "Request",
    "ResponseWriter",
]


#: ``True`` when this build of asgikit-core is the compiled one (mypyc: a platform wheel
#: built with ``ASGIKIT_COMPILE=1``), ``False`` for pure Python. Both behave the same.
COMPILED: bool = not __file__.endswith(".py")

_METHODS: Final[dict[str, HTTPMethod]] = {m.value: m for m in HTTPMethod}
_SCOPE_TYPES: Final = frozenset(("http", "websocket"))


async def _close_then_raise(iterator: object, failure: BaseException | None) -> None:
    """Close ``iterator`` (when it has ``aclose``), then raise ``failure``, if any: what
    ``finally: await iterator.aclose()`` does, with the pending error passed explicitly.

    mypyc compiles a ``finally`` that awaits, in a coroutine, by keeping the pending
    error in the handled-exception state (``sys.exc_info()``), which it never restores,
    and re-raising whatever is there when the ``finally`` ends: a response that
    succeeded would raise an error its caller is handling in an ``except`` block, or one
    an earlier response left there. So no compiled coroutine awaits in a ``finally``
    (``tools/check_layout.py`` refuses it) and the error is carried here explicitly.
    """
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        try:
            await aclose()
        except BaseException as exc:
            if failure is not None and exc is not failure and exc.__context__ is None:
                exc.__context__ = failure  # as a finally would chain it
            raise
    if failure is not None:
        raise failure


def _unsupported_scope(scope_type: object) -> str:
    if scope_type == "lifespan":
        return (
            "Request cannot serve the server's 'lifespan' scope (it comes before any "
            "request); answer it with asgikit.lifespan.Lifespan, or return early: "
            "if scope['type'] == 'lifespan': await Lifespan()(scope, receive, send)"
        )
    return f"Request serves 'http' and 'websocket' scopes, not {scope_type!r}"


def _check_json_media_type(content_type: str) -> None:
    """Refuse a Content-Type that is not ``application/json`` or ``*/*+json``."""
    media_type = parse_content_type(content_type)[0]
    if media_type is not None and not (
        media_type == "application/json" or media_type.endswith("+json")
    ):
        raise UnsupportedMediaTypeError(
            f"expected a JSON body, got Content-Type {media_type!r}",
            hint="check_media_type=False accepts any",
        )


# Python classes may extend the compiled Request too (mypyc refuses them otherwise).
@_mypyc_attr(allow_interpreted_subclasses=True)
class Request:
    """An HTTP request or a WebSocket handshake, and the way to answer it."""

    __slots__ = ("_exchange", "_receive", "_response", "_scope", "_send")

    _response: Response

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        exchange = scope.get(EXCHANGE_KEY)
        if exchange is None:
            if scope["type"] not in _SCOPE_TYPES:
                raise UnsupportedScopeError(_unsupported_scope(scope["type"]))
            exchange = scope[EXCHANGE_KEY] = _Exchange()
        self._exchange: _Exchange = exchange

    # -- the scope ------------------------------------------------------------------

    @property
    def scope(self) -> Scope:
        """The ASGI scope this request views."""
        return self._scope

    @property
    def receive(self) -> Receive:
        """The ASGI ``receive`` this request was built with."""
        return self._receive

    @property
    def send(self) -> Send:
        """The ASGI ``send`` this request was built with."""
        return self._send

    @property
    def extras(self) -> dict[str, Any]:
        """Per-request storage for packages built on asgikit, shared by every ``Request``
        over this scope. Keys are distribution names (``"asgikit-websockets"`` keeps its
        connection here)."""
        extras = self._exchange.extras
        if extras is None:
            extras = self._exchange.extras = {}
        return extras

    @property
    def is_http(self) -> bool:
        """Whether this is an HTTP request (``scope["type"] == "http"``)."""
        return bool(self._scope["type"] == "http")

    @property
    def is_websocket(self) -> bool:
        """Whether this is a WebSocket handshake (``scope["type"] == "websocket"``)."""
        return bool(self._scope["type"] == "websocket")

    @property
    def method(self) -> HTTPMethod | str:
        """The method: an :class:`http.HTTPMethod` member, or the raw string for others.

        A WebSocket handshake is a ``GET``.
        """
        method: str = self._scope.get("method", "GET")
        return _METHODS.get(method, method)

    @property
    def path(self) -> str:
        """The percent-decoded path, as the server gives it."""
        path: str = self._scope["path"]
        return path

    @property
    def raw_path(self) -> bytes | None:
        """The path as it came on the wire, when the server provides it."""
        raw: bytes | None = self._scope.get("raw_path")
        return raw

    @property
    def root_path(self) -> str:
        root: str = self._scope.get("root_path", "")
        return root

    @property
    def scheme(self) -> str:
        scheme: str = self._scope.get("scheme") or ("ws" if self.is_websocket else "http")
        return scheme

    @property
    def http_version(self) -> str:
        version: str = self._scope.get("http_version", "1.1")
        return version

    @property
    def client(self) -> tuple[str, int] | None:
        client = self._scope.get("client")
        return (client[0], client[1]) if client else None

    @property
    def server(self) -> tuple[str, int | None] | None:
        server = self._scope.get("server")
        return (server[0], server[1]) if server else None

    @property
    def state(self) -> dict[str, Any]:
        """The lifespan state the server copies into every scope (``scope["state"]``)."""
        state: dict[str, Any] | None = self._scope.get("state")
        if state is None:
            state = self._scope["state"] = {}
        return state

    # -- URL and host ---------------------------------------------------------------

    def _authority(self) -> tuple[str, int]:
        exchange = self._exchange
        authority = exchange.authority
        if authority is None:
            authority = exchange.authority = _url.read_authority(
                self.headers.get_all("host"), self._scope.get("server"), self.scheme
            )
        return authority

    @property
    def host(self) -> str:
        """The host the client asked for, without the port: from the ``Host`` header
        (RFC 9110 §7.2), lower-cased, an IPv6 address in brackets (``"[::1]"``); the
        server's address when there is no Host (HTTP/1.0).

        Raises :class:`~asgikit.errors.InvalidHostError` (400) for a Host that is not
        ``host[:port]`` (a DNS name, IPv4 or bracketed IPv6 address; a port up to 65535),
        for more than one Host header, and for none with no server address. After
        :func:`asgikit.proxies.apply_forwarded`, the host the proxy was asked for.

        .. versionadded:: 0.2.0
        """
        return self._authority()[0]

    @property
    def port(self) -> int:
        """The port the client asked for: from ``Host``, else the scheme's default (80
        for ``http``/``ws``, 443 for ``https``/``wss``); the server's port when there is
        no Host. Raises as :attr:`host` does.

        .. versionadded:: 0.2.0
        """
        return self._authority()[1]

    def _origin(self) -> str:
        scheme = self.scheme
        host, port = self._authority()
        if _url.DEFAULT_PORTS.get(scheme) == port:
            return f"{scheme}://{host}"
        return f"{scheme}://{host}:{port}"

    @property
    def url(self) -> str:
        """The full URL the client asked for, as a ``str``:
        ``scheme://host[:port]/root_path/path?query``, the port only when it is not the
        scheme's default, ``ws``/``wss`` for a WebSocket. The path is rebuilt from
        ``raw_path`` when the server gives it (so ``%2F`` stays ``%2F``), else from
        ``path``; either way every character a URL may not hold is percent-encoded
        (RFC 3986 §2.1) and valid ``%XX`` escapes are kept. A ``path`` that does not
        start with ``root_path`` (hypercorn, granian) gets it in front; uvicorn's
        already does. Raises as :attr:`host` does.

        .. versionadded:: 0.2.0
        """
        url = self._origin() + _url.url_path(self.path, self.raw_path, self.root_path)
        query: bytes = self._scope.get("query_string", b"")
        return f"{url}?{_url.encode_query(query)}" if query else url

    @property
    def base_url(self) -> str:
        """The URL up to and including ``root_path``, always ending with ``/``
        (``"https://example.com/api/"``), so that relative references resolve under it:
        ``urllib.parse.urljoin(request.base_url, "items")``. Raises as :attr:`host` does.

        .. versionadded:: 0.2.0
        """
        return f"{self._origin()}{_url.encode_path(self.root_path).rstrip('/')}/"

    async def check_host(self, *, allowed: Iterable[str]) -> str:
        """Return :attr:`host` if it matches one of ``allowed``, else raise
        :class:`~asgikit.errors.DisallowedHostError` (400); a malformed Host raises
        :class:`~asgikit.errors.InvalidHostError`. Call it before building absolute URLs
        from :attr:`url` or :attr:`host` (password-reset links, redirects), so a forged
        Host cannot point them elsewhere.

        A pattern is an exact host (``"example.com"``, ``"[::1]"``), ``"*.example.com"``
        (every subdomain at any depth, not ``example.com`` itself) or ``"*"`` (any);
        matching ignores case and a trailing dot. A malformed pattern raises
        ``ValueError``. Async like every method of ``Request``, though it does no I/O.

        .. versionadded:: 0.2.0
        """
        patterns = [_url.check_pattern(pattern) for pattern in allowed]
        host = self.host
        _url.check_allowed(host, patterns)
        return host

    # -- headers, query, cookies ------------------------------------------------------

    @property
    def headers(self) -> Headers:
        """Case-insensitive request headers; duplicates kept, raw until asked."""
        headers = self._exchange.headers
        if headers is None:
            headers = self._exchange.headers = Headers(self._scope.get("headers", []))
        return headers

    @property
    def max_query_params(self) -> int:
        """How many query parameters :attr:`query` accepts (1000 unless set)."""
        return self._exchange.max_query_params

    @max_query_params.setter
    def max_query_params(self, value: int) -> None:
        self._exchange.max_query_params = value
        self._exchange.query = None

    @property
    def query(self) -> MultiValueDict[str]:
        """Query parameters. More than :attr:`max_query_params` raise a 413 error."""
        query = self._exchange.query
        if query is None:
            query = self._exchange.query = parse_urlencoded(
                self._scope.get("query_string", b""),
                max_fields=self._exchange.max_query_params,
                option="max_query_params",
            )
        return query

    @property
    def cookies(self) -> MultiValueDict[str]:
        """Request cookies from every Cookie header."""
        cookies = self._exchange.cookies
        if cookies is None:
            cookies = MultiValueDict()
            for value in self.headers.get_all("cookie"):
                parse_cookie_header(value, cookies)
            self._exchange.cookies = cookies
        return cookies

    @property
    def content_type(self) -> str | None:
        """The lower-cased media type of the body (``"application/json"``), or ``None``."""
        return parse_content_type(self.headers.get("content-type"))[0]

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of Content-Type (quoted or not), or ``None``."""
        return parse_content_type(self.headers.get("content-type"))[1].get("charset")

    @property
    def content_length(self) -> int | None:
        """Content-Length, parsed strictly and once per request (every reader and
        asgikit-forms ask for it); a malformed value raises a 400 error."""
        exchange = self._exchange
        length = exchange.length
        if length == -1:
            length = exchange.length = self.headers._content_length()
        return length

    # -- content negotiation (asgikit.headers.accept) ------------------------------------

    def best_match(self, offers: Sequence[str], *, header: AcceptHeader = "accept") -> str | None:
        """The best of ``offers`` (in your order of preference) for what the client
        accepts, or ``None`` if it accepts none of them: media types by ``Accept`` (the
        default), or languages, codings or charsets with ``header="accept-language"``,
        ``"accept-encoding"``, ``"accept-charset"``. Every line of the header is read;
        malformed elements are skipped, never an error. See :mod:`asgikit.headers.accept`
        for the rules (RFC 9110 §12.5, RFC 4647 for languages).

        A response chosen this way depends on the header: say so with ``Vary``
        (:func:`asgikit.headers.vary.add_vary`).

        .. versionadded:: 0.2.0
        """
        lines = self.headers.get_all(header)
        return negotiate(header, ", ".join(lines) if lines else None, offers)

    def accepts(self, offer: str, *, header: AcceptHeader = "accept") -> bool:
        """Whether the client accepts ``offer`` (``"application/json"``, or a language,
        coding or charset with ``header=``): ``best_match([offer], header=header)``.

        .. versionadded:: 0.2.0
        """
        return self.best_match((offer,), header=header) is not None

    # -- reading the body ---------------------------------------------------------------

    @property
    def max_body_size(self) -> int:
        """The cap on buffered body reads, in bytes (10 MiB unless set)."""
        return self._exchange.max_body_size

    @max_body_size.setter
    def max_body_size(self, value: int) -> None:
        self._exchange.max_body_size = value

    def read_stream(self) -> AsyncGenerator[bytes, None]:
        """Yield the body in the chunks it arrives in; nothing is kept.

        A body already read in full is yielded from the cache. Raises
        :class:`ClientDisconnectedError` when the client goes away, and a 400 error when
        more bytes arrive than Content-Length declared. Not capped: streaming is for
        bodies of any size.
        """
        return _stream.read_stream(self)

    async def read_bytes(self, *, max_body_size: int | None = None) -> bytes:
        """The whole body, kept so that every later read over this scope gets it too.

        At most ``max_body_size`` bytes (default :attr:`max_body_size`): a declared
        Content-Length over it fails at once, and the bytes that arrive are counted so
        that a body without (or lying about) its length fails as soon as it crosses the
        limit, with :class:`ContentTooLargeError` (413).
        """
        exchange = self._exchange
        return await _body.read_body(
            exchange.get_inbound(),
            self._receive,
            self.content_length,
            exchange.max_body_size if max_body_size is None else max_body_size,
        )

    async def read_text(
        self, encoding: str | None = None, *, max_body_size: int | None = None
    ) -> str:
        """The body as text, decoded with ``encoding``, else the Content-Type charset, else
        UTF-8. Undecodable bytes or an unknown charset raise a 400 error."""
        body = await self.read_bytes(max_body_size=max_body_size)
        return decode_text(body, encoding or self.charset or "utf-8", what="a body")

    async def read_json(
        self,
        *,
        loads: JSONLoads = json.loads,
        max_body_size: int | None = None,
        check_media_type: bool = True,
    ) -> Any:
        """The body parsed as JSON; ``None`` for an empty body.

        With ``check_media_type`` (the default), a Content-Type other than
        ``application/json`` or ``*/*+json`` raises :class:`UnsupportedMediaTypeError`
        (415), so a cross-site "simple" form post cannot smuggle JSON in; a request with
        no Content-Type is accepted. Invalid JSON raises :class:`InvalidJSONError` (400).
        ``loads`` takes the codec: ``orjson.loads``, ``msgspec.json.decode``, ...
        """
        # read_bytes(), without its frame, and the headers read in place: this is the
        # path of every JSON API.
        exchange = self._exchange
        if check_media_type:
            media_type = self.headers._value(b"content-type")
            if media_type is not None and media_type != b"application/json":
                _check_json_media_type(media_type.decode("latin-1"))
        body = await _body.read_body(
            exchange.get_inbound(),
            self._receive,
            self.content_length,
            exchange.max_body_size if max_body_size is None else max_body_size,
        )
        if not body:
            return None
        return json_codec.loads(body, loads, what="the body")

    async def read_form(self, **options: Unpack[FormOptions]) -> FormData:
        """The body parsed as a form (urlencoded or multipart); needs ``asgikit-forms``.

        ``options`` (:class:`asgikit.forms.FormOptions`) go to
        :func:`asgikit.forms.read_form`.
        """
        forms = _optional.load("asgikit.forms", "asgikit-forms", "read_form()")
        form: FormData = await forms.read_form(self, **options)
        return form

    # -- responding ----------------------------------------------------------------------

    @property
    def response(self) -> Response:
        """The response: set status, headers and cookies here before responding."""
        try:
            return self._response
        except AttributeError:
            response = self._response = Response(self._scope, self._exchange, self._send)
            return response

    def respond_bytes(
        self,
        content: bytes,
        *,
        status: int | None = None,
        media_type: str | None = None,
    ) -> Coroutine[Any, Any, None]:
        """Respond with ``content`` (``application/octet-stream`` unless told)."""
        exchange = self._exchange
        if media_type is None:
            settings = exchange.settings
            media_type = (settings and settings.media_type) or "application/octet-stream"
        return exchange.respond(
            self._send, content, status, media_type, self._scope.get("method") == "HEAD"
        )

    def respond_text(
        self,
        content: str,
        *,
        status: int | None = None,
        media_type: str | None = None,
    ) -> Coroutine[Any, Any, None]:
        """Respond with ``content`` encoded with ``response.encoding`` (``text/plain``
        unless told; text types get ``; charset=...``)."""
        exchange = self._exchange
        settings = exchange.settings
        if settings is None:
            body = content.encode()
            media_type = media_type or "text/plain"
        else:
            body = content.encode(settings.encoding)
            media_type = media_type or settings.media_type or "text/plain"
        return exchange.respond(
            self._send, body, status, media_type, self._scope.get("method") == "HEAD"
        )

    def respond_json(
        self,
        content: Any,
        *,
        status: int | None = None,
        media_type: str | None = None,
        dumps: JSONDumps = json_codec.dumps,
    ) -> Coroutine[Any, Any, None]:
        """Respond with ``content`` as compact UTF-8 JSON (NaN and infinities refused).

        ``dumps`` takes the codec: ``orjson.dumps``, ``msgspec.json.encode``, ...
        """
        data = dumps(content)
        exchange = self._exchange
        if media_type is None:
            settings = exchange.settings
            media_type = (settings and settings.media_type) or "application/json"
        return exchange.respond(
            self._send,
            data.encode() if isinstance(data, str) else data,
            status,
            media_type,
            self._scope.get("method") == "HEAD",
        )

    def respond_status(
        self, status: int, *, media_type: str | None = None
    ) -> Coroutine[Any, Any, None]:
        """Respond with ``status`` and an empty body."""
        return self._exchange.respond(
            self._send, b"", status, media_type, self._scope.get("method") == "HEAD"
        )

    async def respond_redirect(self, location: str, *, permanent: bool = False) -> None:
        """Redirect to ``location`` with 307, or 308 when ``permanent``; the method and
        body are kept by the client. Control characters in ``location`` are refused and
        other characters that may not appear in a URL are percent-encoded."""
        status = HTTPStatus.PERMANENT_REDIRECT if permanent else HTTPStatus.TEMPORARY_REDIRECT
        await self._redirect(location, status)

    async def respond_redirect_post_get(self, location: str) -> None:
        """Redirect to ``location`` with 303, so the client follows it with a GET
        (the Post/Redirect/Get pattern)."""
        await self._redirect(location, HTTPStatus.SEE_OTHER)

    async def _redirect(self, location: str, status: int) -> None:
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in location):
            raise HeaderValueError(f"invalid redirect location {location!r}: control characters")
        self.response.headers.set("location", quote(location, safe=":/?#[]@!$&'()*+,;=%~"))
        await self._exchange.respond(
            self._send, b"", status, None, self._scope.get("method") == "HEAD"
        )

    def response_writer(
        self,
        *,
        status: int | None = None,
        media_type: str | None = None,
        content_length: int | None = None,
        trailers: bool = False,
    ) -> ResponseWriter:
        """An async context manager that starts the response and yields ``write``::

            async with request.response_writer(media_type="text/plain") as write:
                await write(b"chunk")
                await write("text, encoded with response.encoding")

        Leaving the block ends the response. If the client goes away meanwhile, the block
        is cancelled and :class:`ClientDisconnectedError` raised from it.

        ``trailers=True`` announces trailer fields, sent by
        :meth:`ResponseWriter.send_trailers`; it needs the server's
        ``http.response.trailers`` extension and a protocol that carries trailers
        (HTTP/2 or 3, or HTTP/1.1 without ``content_length``, i.e. chunked); otherwise
        :class:`ExtensionUnavailableError` is raised here, before anything is sent.
        ``str`` writes since 0.2.0, ``trailers`` since 0.2.0.
        """
        if trailers:
            self._check_trailers(content_length)
        return ResponseWriter(
            self._exchange,
            self._scope,
            self._send,
            self._watch_disconnect,
            status=status,
            media_type=media_type,
            content_length=content_length,
            trailers=trailers,
        )

    def _watch_disconnect(self, on_gone: Callable[[], None]) -> Callable[[], None]:
        """Call ``on_gone`` when the client disconnects; returns the function that stops
        the watch (what a streamed response and :meth:`wait_disconnected` use)."""
        exchange = self._exchange
        return exchange.get_inbound().watch(
            self._receive, min(exchange.max_body_size, MAX_PENDING_BODY), on_gone
        )

    async def respond_stream(
        self,
        stream: AsyncIterable[bytes | str],
        *,
        status: int | None = None,
        media_type: str | None = None,
        content_length: int | None = None,
    ) -> None:
        """Respond with the chunks of ``stream`` (``str`` chunks are encoded).

        The iterator is always closed, even when the client leaves before its first
        chunk; a client that leaves stops the stream with :class:`ClientDisconnectedError`.
        A HEAD request gets the headers and the iterator is not run.
        """
        # Not ``finally: await aclose()``: see _close_then_raise().
        failure: BaseException | None = None
        try:
            async with self.response_writer(
                status=status, media_type=media_type, content_length=content_length
            ) as write:
                if not self.response.is_head:
                    async for chunk in stream:
                        await write(chunk)
        except BaseException as exc:
            failure = exc
        await _close_then_raise(stream, failure)

    async def respond_event_stream(
        self,
        events: AsyncIterable[ServerSentEvent | str],
        *,
        ping_interval: float | None = 15.0,
        status: int | None = None,
    ) -> None:
        """Respond with Server-Sent Events (``text/event-stream``).

        Each item is a :class:`ServerSentEvent` or a ``str`` sent as its data. When no
        event comes for ``ping_interval`` seconds a comment is sent to keep proxies from
        closing the connection. An event stream ends when the client goes away: then this
        returns normally (``request.response.is_finished`` stays false), after closing
        ``events``.
        """
        headers = self.response.headers
        headers.setdefault("cache-control", "no-cache")
        headers.setdefault("x-accel-buffering", "no")
        iterator = aiter(events)
        ping = ServerSentEvent(comment="ping").encode()
        # Not ``finally: await aclose()``: see _close_then_raise().
        failure: BaseException | None = None
        try:
            async with self.response_writer(status=status, media_type="text/event-stream") as write:
                if not self.response.is_head:
                    while True:
                        item = await _events.next_event(iterator, ping_interval, write, ping)
                        if item is None:
                            break
                        if isinstance(item, str):
                            item = ServerSentEvent(item)
                        await write(item.encode())
        except ClientDisconnectedError:
            pass  # how an event stream ends: the client left
        except BaseException as exc:
            failure = exc
        await _close_then_raise(iterator, failure)

    # -- the connection: disconnect signal, server extensions, early hints --------------
    # (trailers are in ResponseWriter; response_writer() checks for them here)

    async def is_disconnected(self) -> bool:
        """Whether the client is known to have disconnected; answers at once.

        It answers from what the request's single receive pump has seen. When nobody is
        receiving and no body read is under way it also polls ``receive()`` once: a
        message that is ready is taken (a body message is kept for the body reader, so
        calling this before, during or after reading loses nothing), and one that is not
        stays on its way, so a later call knows. It never waits for the client, and
        never races a body reader. The server reports a disconnect on ``receive()`` once
        the response is sent too (the ASGI spec), so after responding this is true.
        HTTP only: on a WebSocket scope it raises :class:`UnsupportedScopeError`.

        .. versionadded:: 0.2.0
        """
        self._check_http("is_disconnected()")
        exchange = self._exchange
        return await exchange.get_inbound().poll_disconnect(
            self._receive, min(exchange.max_body_size, MAX_PENDING_BODY)
        )

    async def wait_disconnected(self) -> None:
        """Return when the client disconnects (``http.disconnect``); race it against
        long work to stop the work when nobody waits for it any more.

        Body messages that arrive meanwhile are kept for the body reader (up to 1 MiB
        when nobody reads them; past that the unread body is dropped and a later read
        raises :class:`BodyStateError`), and cancelling the wait loses no message.
        HTTP only: on a WebSocket scope it raises :class:`UnsupportedScopeError`.

        .. versionadded:: 0.2.0
        """
        self._check_http("wait_disconnected()")
        gone = asyncio.get_running_loop().create_future()

        def on_gone() -> None:
            if not gone.done():
                gone.set_result(None)

        stop = self._watch_disconnect(on_gone)
        try:
            await gone
        finally:
            stop()

    @property
    def server_extensions(self) -> Mapping[str, Any]:
        """The ASGI extensions the server offers for this request (``scope["extensions"]``),
        read-only: ``"http.response.early_hint" in request.server_extensions``.

        .. versionadded:: 0.2.0
        """
        extensions: dict[str, Any] | None = self._scope.get("extensions")
        return MappingProxyType(extensions or {})

    async def send_early_hints(self, links: Iterable[str]) -> bool:
        """Send a 103 Early Hints response (RFC 8297) with one ``Link`` header per item of
        ``links`` (``"</app.css>; rel=preload; as=style"``), through the ASGI
        ``http.response.early_hint`` extension.

        Returns ``True`` once sent, and ``False``, sending nothing, when the server does
        not offer the extension for this request (hints are only ever a help, so a
        server without them is not an error). Before the response starts only, else
        :class:`ResponseStateError`; a link with CR, LF or NUL raises
        :class:`HeaderValueError`, whatever the server.

        .. versionadded:: 0.2.0
        """
        if self._exchange.phase is not ResponsePhase.NEW:
            raise self._exchange.refusal("send early hints")
        encoded = [encode_header_value(link) for link in links]
        if "http.response.early_hint" not in self.server_extensions:
            return False
        await self._send({"type": "http.response.early_hint", "links": encoded})
        return True

    def _check_http(self, call: str) -> None:
        if self._scope["type"] != "http":
            raise UnsupportedScopeError(
                f"{call} is for HTTP requests; a WebSocket reports its close through the "
                "connection of asgikit-websockets (WebSocketDisconnect)"
            )

    def _check_trailers(self, content_length: int | None) -> None:
        if "http.response.trailers" not in self.server_extensions:
            raise ExtensionUnavailableError(
                "cannot send trailers: the server does not offer the "
                "'http.response.trailers' extension for this request"
            )
        version = self.http_version
        if version == "1.1":
            if content_length is not None or self.response.content_length is not None:
                raise ExtensionUnavailableError(
                    "cannot send trailers with a Content-Length on HTTP/1.1: only a "
                    "chunked body carries them; leave content_length unset"
                )
        elif version not in ("2", "3"):
            raise ExtensionUnavailableError(
                f"cannot send trailers over HTTP/{version}: they need HTTP/1.1 "
                "(chunked), HTTP/2 or HTTP/3"
            )

    async def respond_file(self, path: str | PathLike[str], **options: Unpack[FileOptions]) -> None:
        """Respond with the file at ``path``; needs ``asgikit-files``.

        ``options`` (:class:`asgikit.files.FileOptions`) go to
        :func:`asgikit.files.respond_file`.
        """
        files = _optional.load("asgikit.files", "asgikit-files", "respond_file()")
        await files.respond_file(self, path, **options)

    async def websocket_accept(self, **options: Unpack[AcceptOptions]) -> WebSocket:
        """Accept the WebSocket handshake and return the connection; needs
        ``asgikit-websockets``. ``options`` (:class:`asgikit.websockets.AcceptOptions`:
        ``subprotocol``, ``headers``, ``max_message_size``) go to
        :func:`asgikit.websockets.accept`."""
        websockets = _optional.load(
            "asgikit.websockets", "asgikit-websockets", "websocket_accept()"
        )
        ws: WebSocket = await websockets.accept(self, **options)
        return ws

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"
