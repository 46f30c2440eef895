"""The ASGI middleware: wraps ``send``, asks the planner at ``http.response.start``, and
compresses the body messages that follow."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, TypedDict

from asgikit.asgi import ASGIApp, Message, Receive, Scope, Send
from asgikit.compression._codecs import CODECS, Codec
from asgikit.compression._plan import (
    Plan,
    compressed_headers,
    is_compressible,
    plan_response,
    revalidated_headers,
    varied_headers,
)
from asgikit.requests import Request

if TYPE_CHECKING:
    from typing import Unpack

__all__ = [
    "DEFAULT_CODINGS",
    "DEFAULT_MINIMUM_SIZE",
    "DEFAULT_THREAD_THRESHOLDS",
    "CompressionMiddleware",
    "CompressionOptions",
]

DEFAULT_CODINGS: tuple[str, ...] = ("zstd", "br", "gzip")
"""The server's order of preference, best first."""

DEFAULT_MINIMUM_SIZE = 500
"""Whole bodies under this many bytes are sent as they are: the coding's framing and the
client's work cost more than they save (Starlette's GZipMiddleware uses 500 too)."""

DEFAULT_THREAD_THRESHOLDS: Mapping[str, int] = MappingProxyType(
    {"zstd": 64 * 1024, "br": 16 * 1024, "gzip": 16 * 1024}
)
"""Per coding at its default level, the size of one body message from which it is
compressed in a worker thread (``asyncio.to_thread``) instead of on the event loop: the
first size at which compressing on the loop clearly blocks it longer than the hop to a
thread adds to the response (60 to 100 µs here), as measured by
``benchmarks/compression_threshold.py`` (see the package README)."""


class CompressionOptions(TypedDict, total=False):
    """The options of :class:`CompressionMiddleware`, each optional.

    ``codings``: the codings to offer, best first (default ``("zstd", "br", "gzip")``);
    one whose module is not installed is left out. ``levels``: a level per coding
    (default gzip 6, br 4, zstd 3). ``minimum_size``: whole bodies under it are sent
    as they are (default 500). ``compressible``: which Content-Type values to compress
    (default :func:`is_compressible`). ``thread_threshold``: body messages from this
    size on are compressed in a worker thread, whatever the coding (default: per coding,
    :data:`DEFAULT_THREAD_THRESHOLDS`).
    """

    codings: Sequence[str]
    levels: Mapping[str, int]
    minimum_size: int
    compressible: Callable[[str], bool]
    thread_threshold: int


_KNOWN_CODINGS = frozenset(DEFAULT_CODINGS)


class CompressionMiddleware:
    """Compress the responses of ``app`` (any ASGI app) with the best coding the client
    accepts.

    A whole body (one ``http.response.body`` message with ``more_body`` false) is
    compressed in one go and sent with its compressed Content-Length. A stream is
    compressed as it goes, each body message flushed (a sync flush) so that the client
    can decode every chunk, every Server-Sent Event, as soon as it is sent; its
    Content-Length is removed. Every response whose media type could be compressed
    gets ``Vary: Accept-Encoding``; a strong ETag of a compressed response is made weak.
    See :func:`~asgikit.compression.plan_response` for what is left alone.

    Raises :class:`ValueError` for an unknown coding or a level out of range.
    """

    __slots__ = (
        "_app",
        "_codecs",
        "_codings",
        "_compressible",
        "_levels",
        "_minimum_size",
        "_thresholds",
    )

    def __init__(self, app: ASGIApp, **options: Unpack[CompressionOptions]) -> None:
        unknown = set(options) - set(CompressionOptions.__annotations__)
        if unknown:
            raise TypeError(f"unknown compression options: {sorted(unknown)}")
        self._app = app
        codings = tuple(options.get("codings", DEFAULT_CODINGS))
        for coding in codings:
            if coding not in _KNOWN_CODINGS:
                raise ValueError(
                    f"unknown coding {coding!r}: asgikit.compression offers "
                    f"{', '.join(DEFAULT_CODINGS)}"
                )
        self._codings = tuple(coding for coding in codings if coding in CODECS)
        self._codecs: dict[str, Codec] = {coding: CODECS[coding] for coding in self._codings}
        levels = dict(options.get("levels", {}))
        for coding, level in levels.items():
            if coding not in _KNOWN_CODINGS:
                raise ValueError(f"unknown coding {coding!r} in levels")
            codec = CODECS.get(coding)
            if codec is not None and level not in codec.levels:
                raise ValueError(
                    f"level {level!r} out of range for {coding}: "
                    f"{codec.levels.start} to {codec.levels.stop - 1}"
                )
        self._levels = {
            coding: levels.get(coding, codec.default_level)
            for coding, codec in self._codecs.items()
        }
        minimum_size = options.get("minimum_size", DEFAULT_MINIMUM_SIZE)
        threshold = options.get("thread_threshold")
        for name, value in (("minimum_size", minimum_size), ("thread_threshold", threshold)):
            if value is None:
                continue
            if type(value) is not int or value < 0:
                raise ValueError(f"{name} must be an int >= 0, not {value!r}")
        self._minimum_size = minimum_size
        self._thresholds = {
            coding: DEFAULT_THREAD_THRESHOLDS[coding] if threshold is None else threshold
            for coding in self._codings
        }
        self._compressible = options.get("compressible", is_compressible)

    @property
    def codings(self) -> tuple[str, ...]:
        """The codings offered, best first: those asked for whose module is installed."""
        return self._codings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._codings:
            await self._app(scope, receive, send)
            return
        await self._app(scope, receive, _Responder(self, scope, receive, send).send)

    def plan(self, scope: Scope, receive: Receive, send: Send, start: Message) -> Plan:
        accept: list[str] = [
            value.decode("latin-1")
            for key, value in scope.get("headers", ())
            if key.lower() == b"accept-encoding"
        ]
        # The asgikit app's opt-out, set through request.response before responding.
        opted_out = not Request(scope, receive, send).response.compress
        return plan_response(
            status=start["status"],
            headers=start.get("headers", ()),
            accept_encoding=", ".join(accept) if accept else None,
            codings=self._codings,
            minimum_size=self._minimum_size,
            compressible=self._compressible,
            opted_out=opted_out,
        )


def _if_none_match(scope: Scope) -> str | None:
    values = [
        value.decode("latin-1")
        for key, value in scope.get("headers", ())
        if key.lower() == b"if-none-match"
    ]
    return ", ".join(values) if values else None


def _is_event_stream(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    return any(
        key.lower() == b"content-type"
        and value.partition(b";")[0].strip().lower() == b"text/event-stream"
        for key, value in headers
    )


def _unset(data: bytes, final: bool) -> bytes:  # pragma: no cover - replaced before use
    raise AssertionError("no stream encoder")


# What a responder does with the messages after the start.
_PASS = 0  # forward as they are
_HOLD = 1  # the start is held until the first body message says whole or stream
_STREAM = 2  # each body message goes through the encoder


class _Responder:
    """One response's ``send`` wrapper: a small state machine, PASS / HOLD → STREAM."""

    __slots__ = (
        "_encode",
        "_middleware",
        "_mode",
        "_plan",
        "_receive",
        "_scope",
        "_send",
        "_start",
        "_threshold",
    )

    def __init__(
        self, middleware: CompressionMiddleware, scope: Scope, receive: Receive, send: Send
    ) -> None:
        self._middleware = middleware
        self._scope = scope
        self._receive = receive
        self._send = send
        self._mode = _PASS
        self._plan: Plan | None = None
        self._start: Message | None = None
        self._encode: Callable[[bytes, bool], bytes] = _unset
        self._threshold = 0

    async def send(self, message: Message) -> None:
        mode = self._mode
        if mode == _STREAM and message["type"] == "http.response.body":
            await self._stream(message)
        elif mode == _HOLD:
            await self._first(message)
        elif message["type"] == "http.response.start" and self._plan is None:
            await self._begin(message)
        else:
            await self._send(message)

    async def _begin(self, start: Message) -> None:
        middleware = self._middleware
        plan = self._plan = middleware.plan(self._scope, self._receive, self._send, start)
        if start["status"] == 304:
            headers = revalidated_headers(start.get("headers", ()), _if_none_match(self._scope))
            await self._send(start if headers is None else {**start, "headers": headers})
        elif plan.coding is None:
            if plan.vary:
                start = {**start, "headers": varied_headers(start.get("headers", ()))}
            await self._send(start)
        elif self._scope.get("method") == "HEAD":
            # RFC 9110 §9.3.2: the headers GET would get, but Content-Length, which only
            # the compressed body would tell.
            headers = compressed_headers(start.get("headers", ()), plan.coding, None)
            await self._send({**start, "headers": headers})
        elif _is_event_stream(start.get("headers", ())):
            # Server-Sent Events: the headers go now (the browser's EventSource opens on
            # them), not with the first event, which may be a while.
            self._stream_with(plan.coding)
            headers = compressed_headers(start.get("headers", ()), plan.coding, None)
            await self._send({**start, "headers": headers})
        else:
            self._start = start
            self._mode = _HOLD

    def _stream_with(self, coding: str) -> None:
        middleware = self._middleware
        self._encode = middleware._codecs[coding].encoder(middleware._levels[coding]).encode
        self._threshold = middleware._thresholds[coding]
        self._mode = _STREAM

    async def _first(self, message: Message) -> None:
        start = self._start
        plan = self._plan
        assert start is not None and plan is not None and plan.coding is not None
        self._start = None
        headers = start.get("headers", ())
        if message["type"] != "http.response.body":  # pathsend, zerocopysend, ...: a file
            self._mode = _PASS
            await self._send(start)
            await self._send(message)
            return
        body: bytes = message.get("body", b"")
        codec = self._middleware._codecs[plan.coding]
        level = self._middleware._levels[plan.coding]
        if not message.get("more_body", False):
            self._mode = _PASS
            if len(body) < plan.whole_minimum:
                await self._send({**start, "headers": varied_headers(headers)})
                await self._send(message)
                return
            if len(body) < self._middleware._thresholds[plan.coding]:
                data = codec.compress(body, level)
            else:
                data = await asyncio.to_thread(codec.compress, body, level)
            headers = compressed_headers(headers, plan.coding, len(data))
            await self._send({**start, "headers": headers})
            await self._send({"type": "http.response.body", "body": data, "more_body": False})
            return
        self._stream_with(plan.coding)
        await self._send({**start, "headers": compressed_headers(headers, plan.coding, None)})
        await self._stream(message)

    async def _stream(self, message: Message) -> None:
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        if more and not body:
            return  # nothing to flush; an empty message carries nothing to the client
        encode = self._encode
        if len(body) < self._threshold:
            data = encode(body, not more)
        else:
            data = await asyncio.to_thread(encode, body, not more)
        if not more:
            self._mode = _PASS
        await self._send({"type": "http.response.body", "body": data, "more_body": more})
