"""The decisions, sans-IO: whether a response may be compressed, with which coding, and
the headers that go with it. :mod:`asgikit.compression._middleware` does the sending.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asgikit.headers.accept import negotiate_encoding
from asgikit.headers.conditional import EntityTag, parse_entity_tag, parse_entity_tags
from asgikit.headers.vary import merge_vary

__all__ = [
    "Plan",
    "compressed_headers",
    "is_already_compressed",
    "is_compressible",
    "plan_response",
    "revalidated_headers",
    "varied_headers",
]

# application/<subtype> that is text in all but name.
_TEXT_APPLICATIONS = frozenset(
    {
        "json",
        "javascript",
        "ecmascript",
        "x-javascript",
        "xml",
        "x-ndjson",
        "graphql",
        "x-yaml",
        "yaml",
        "toml",
        "wasm",
    }
)

# Compressed by their own format: compressing them again costs time and saves nothing.
_ALREADY_COMPRESSED = frozenset(
    {
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/zstd",
        "application/x-bzip2",
        "application/x-xz",
        "application/x-7z-compressed",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/x-brotli",
        "font/woff",
        "font/woff2",
    }
)


def _main_type(content_type: str) -> str:
    return content_type.partition(";")[0].strip(" \t").lower()


def is_compressible(content_type: str) -> bool:
    """The default test of which media types are compressed: ``text/*`` (Server-Sent
    Events included), JSON, JavaScript, XML, SVG, any ``+json`` or ``+xml`` type, and a
    few other text formats (NDJSON, GraphQL, YAML, TOML) and WebAssembly.
    ``content_type`` is a Content-Type value; parameters are ignored."""
    kind, _, subtype = _main_type(content_type).partition("/")
    if kind == "text":
        return True
    if subtype.endswith(("+json", "+xml")):
        return True
    return kind == "application" and subtype in _TEXT_APPLICATIONS


def is_already_compressed(content_type: str) -> bool:
    """Whether a media type is compressed by its own format (images but SVG, audio,
    video, archives, WOFF fonts): such a response is never compressed, whatever the
    ``compressible`` option says."""
    main = _main_type(content_type)
    kind, _, subtype = main.partition("/")
    if kind in ("image", "audio", "video"):
        return not subtype.endswith("+xml") and subtype not in ("bmp", "x-ms-bmp")
    return main in _ALREADY_COMPRESSED


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do with one response.

    ``vary``: the response could have been compressed (its media type and status allow
    it), so it carries ``Vary: Accept-Encoding`` whether compressed or not.
    ``coding``: the coding to apply, or ``None`` to send the body as it is.
    ``whole_minimum``: compress a body sent in one message only from this size on.
    """

    vary: bool
    coding: str | None
    whole_minimum: int = 0


LEAVE = Plan(vary=False, coding=None)


def plan_response(
    *,
    status: int,
    headers: Sequence[tuple[bytes, bytes]],
    accept_encoding: str | None,
    codings: Sequence[str],
    minimum_size: int,
    compressible: Callable[[str], bool] = is_compressible,
    opted_out: bool = False,
) -> Plan:
    """Decide, from the ``http.response.start`` message and the request's
    ``Accept-Encoding`` (``None`` when absent), what to do with the response.

    Left alone, without ``Vary``: 1xx, 204, 304 and 206 responses, any response with
    Content-Range or Content-Encoding, one the application opted out of
    (``opted_out``), one with no Content-Type, a media type that ``compressible``
    refuses or that is already compressed. Otherwise ``Vary: Accept-Encoding`` is
    added, and the coding is the best of ``codings`` (server preference order) that
    the client accepts (:func:`~asgikit.headers.accept.negotiate_encoding`: q-values,
    ``*``, ``identity`` and ``q=0``); none when the client prefers ``identity``, asks
    for no coding, or the Content-Length is under ``minimum_size``.
    """
    # RFC 9110 §15.2, §15.3.5, §15.4.5: no content to code. 206 and Content-Range: the
    # ranges are of the identity representation (§14.4) and cannot be recoded.
    if status < 200 or status in (204, 206, 304) or opted_out:
        return LEAVE
    content_type: bytes | None = None
    length: bytes | None = None
    for key, value in headers:
        key = key.lower()
        if key == b"content-encoding" or key == b"content-range":
            return LEAVE
        if key == b"content-type":
            content_type = value
        elif key == b"content-length":
            length = value
    if content_type is None:
        return LEAVE
    media_type = content_type.decode("latin-1")
    if is_already_compressed(media_type) or not compressible(media_type):
        return LEAVE
    if accept_encoding is None:  # the client asked for no coding
        return Plan(vary=True, coding=None)
    if length is not None and length.isdigit() and int(length) < minimum_size:
        return Plan(vary=True, coding=None)
    coding = negotiate_encoding(accept_encoding, [*codings, "identity"])
    if coding is None or coding == "identity":
        # None: nothing is acceptable, identity refused too. RFC 9110 §12.5.3 lets the
        # server send the identity form all the same rather than a 415.
        return Plan(vary=True, coding=None)
    return Plan(vary=True, coding=coding, whole_minimum=minimum_size)


def varied_headers(headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``Accept-Encoding`` merged into their Vary (one line)."""
    kept: list[tuple[bytes, bytes]] = []
    vary: list[str] = []
    for key, value in headers:
        if key.lower() == b"vary":
            vary.append(value.decode("latin-1"))
        else:
            kept.append((key, value))
    kept.append((b"vary", merge_vary(*vary, "Accept-Encoding").encode("latin-1")))
    return kept


def compressed_headers(
    headers: Sequence[tuple[bytes, bytes]], coding: str, length: int | None
) -> list[tuple[bytes, bytes]]:
    """The headers of the response compressed with ``coding``: Content-Encoding and Vary
    added, Content-Length set to ``length`` (removed when ``None``: a stream, or a HEAD
    response whose compressed size is not known), a strong ETag made weak.

    RFC 9110 §8.8.3: a strong validator changes with the content coding; the weak one
    (``W/"..."``) still matches by weak comparison, which ``If-None-Match`` uses, so
    conditional requests keep working while no strong claim is made for the bytes.
    """
    result: list[tuple[bytes, bytes]] = []
    for key, value in varied_headers(headers):
        name = key.lower()
        if name == b"content-length":
            continue
        if name == b"etag" and value.startswith(b'"'):
            value = b"W/" + value
        result.append((key, value))
    result.append((b"content-encoding", coding.encode("ascii")))
    if length is not None:
        result.append((b"content-length", b"%d" % length))
    return result


def revalidated_headers(
    headers: Sequence[tuple[bytes, bytes]], if_none_match: str | None
) -> list[tuple[bytes, bytes]] | None:
    """The headers of a 304 that revalidates the compressed form of a response, or
    ``None`` when it does not (the 304 is then left alone).

    RFC 9110 §15.4.5: a 304 carries the ETag and Vary the 200 would have had. The app
    answers with its own strong tag ``"x"``; the client names ``W/"x"``, the tag this
    middleware gave the compressed 200, in ``If-None-Match``. Then the 304 gets that weak
    tag and ``Vary: Accept-Encoding``, as the 200 had, so the stored response it refreshes
    is the one the client holds.
    """
    if if_none_match is None:
        return None
    etag: EntityTag | None = None
    for key, value in headers:
        if key.lower() == b"etag":
            etag = parse_entity_tag(value.decode("latin-1"))
    if etag is None or etag.weak:
        return None
    weak = EntityTag(etag.opaque, weak=True)
    if weak not in (parse_entity_tags(if_none_match) or ()):
        return None
    return [
        (key, str(weak).encode("latin-1") if key.lower() == b"etag" else value)
        for key, value in varied_headers(headers)
    ]
