"""What read_form() and iter_parts() share: media type detection, the urlencoded parse,
and the loop that feeds body chunks to the multipart engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final
from urllib.parse import unquote_to_bytes

from asgikit.errors import ContentTooLargeError, UnsupportedMediaTypeError
from asgikit.forms._limits import (
    DEFAULT_MAX_MULTIPART_SIZE,
    Limits,
    PartsOptions,
    body_too_large,
    charset_field,
    client_charset,
    field_too_large,
    form_limits,
    too_many_fields,
)
from asgikit.forms._multipart import MultipartEngine, parse_boundary
from asgikit.forms.multipart import NEED_DATA, Event
from asgikit.headers import parse_content_type
from asgikit.multivalue import MultiValueDict
from asgikit.query import parse_urlencoded
from asgikit.requests import Request

URLENCODED: Final = "application/x-www-form-urlencoded"
MULTIPART: Final = "multipart/form-data"


def detect(request: Request) -> tuple[str, dict[str, str]]:
    """The form's media type (lower-cased, parameters apart), or a 415 error."""
    media_type, params = parse_content_type(request.headers.get("content-type"))
    if media_type not in (URLENCODED, MULTIPART):
        got = "no Content-Type" if media_type is None else f"Content-Type {media_type[:80]!r}"
        raise UnsupportedMediaTypeError(f"expected a form ({URLENCODED} or {MULTIPART}), got {got}")
    return media_type, params


def open_form(request: Request, options: PartsOptions) -> tuple[str, dict[str, str], Limits]:
    """The form's media type and its parameters (:func:`detect`), and the limits of
    this read, built from ``options`` and checked once, with the body cap of the
    encoding resolved."""
    media_type, params = detect(request)
    if media_type == URLENCODED:
        return media_type, params, form_limits(options, request.max_body_size)
    return media_type, params, form_limits(options, DEFAULT_MAX_MULTIPART_SIZE)


# -- urlencoded --------------------------------------------------------------------------


async def read_urlencoded(
    request: Request, params: dict[str, str], limits: Limits
) -> tuple[MultiValueDict[str], str]:
    """Read (and keep, for later readers) the body; parse it with ``limits``. Returns
    the fields and the charset they were decoded with."""
    body = await request.read_bytes(max_body_size=limits.max_body_size)
    return parse_urlencoded_form(body, params.get("charset"), limits)


def _charset_field(body: bytes) -> bytes | None:
    # HTML "application/x-www-form-urlencoded encoding": a field named _charset_ names the
    # encoding of the others. One find() over the body, wherever the field sits.
    if body.startswith(b"_charset_="):
        start = 10
    else:
        at = body.find(b"&_charset_=")
        if at < 0:
            return None
        start = at + 11
    end = body.find(b"&", start)
    return body[start : len(body) if end < 0 else end]


def parse_urlencoded_form(
    body: bytes, declared_charset: str | None, limits: Limits
) -> tuple[MultiValueDict[str], str]:
    """Parse an urlencoded body: ``&`` separates fields, never ``;`` (CVE-2021-23336);
    ``_charset_`` beats the Content-Type charset, which beats ``limits.charset``."""
    charset = limits.charset
    if declared_charset:
        charset = client_charset(declared_charset)
    special = _charset_field(body)
    if special:
        charset = client_charset(charset_field(unquote_to_bytes(special)))
    try:
        fields = parse_urlencoded(
            body, max_fields=limits.max_fields, encoding=charset, errors="strict"
        )
    except ContentTooLargeError:
        raise too_many_fields(limits.max_fields) from None
    limit = limits.max_field_size
    for name, value in fields.items():
        for item in value if type(value) is list else (value,):
            assert isinstance(item, str)
            if len(item) > limit // 4 and _size(item, charset) > limit:
                raise field_too_large(name, limit)
    return fields, charset


def _size(text: str, charset: str) -> int:
    return len(text) if text.isascii() else len(text.encode(charset, "replace"))


# -- multipart ---------------------------------------------------------------------------


def multipart_engine(request: Request, params: dict[str, str], limits: Limits) -> MultipartEngine:
    """A multipart engine for this request; a declared Content-Length over the cap
    (``limits.max_body_size``, resolved by :func:`open_form`) fails here, before any
    byte is read."""
    boundary = parse_boundary(params)
    cap = limits.max_body_size
    if cap is not None:
        declared = request.content_length
        if declared is not None and declared > cap:
            raise body_too_large(cap)
    return MultipartEngine(boundary, limits)


class MultipartSource:
    """The multipart engine fed from an async iterator of body chunks."""

    __slots__ = ("_chunks", "engine")

    def __init__(self, engine: MultipartEngine, chunks: AsyncIterator[bytes]) -> None:
        self.engine = engine
        self._chunks = chunks

    async def next_event(self) -> Event:
        """The engine's next event, fed from the chunks while it needs data; never
        :data:`~asgikit.forms.multipart.NEED_DATA`."""
        engine = self.engine
        while True:
            event = engine.next_event()
            if event is not NEED_DATA:
                return event
            chunk = await anext(self._chunks, None)
            if chunk is None:
                engine.feed_eof()
            else:
                engine.feed(chunk)

    async def aclose(self) -> None:
        self.engine.close()
        aclose = getattr(self._chunks, "aclose", None)
        if aclose is not None:
            await aclose()
