"""File responses with full HTTP semantics, and static directories.

:func:`respond_file` answers a request with a file: Content-Type, Content-Length,
Last-Modified, a strong ETag, conditional requests (304, 412), ranges (206, multipart
byteranges, 416), HEAD, downloads, and the server's ``http.response.pathsend`` when it
offers it. :func:`serve_static` and :class:`StaticFiles` serve a directory safely.
``Request.respond_file(path, ...)`` of asgikit-core calls :func:`respond_file`.

The protocol decisions are pure functions, usable on their own: :func:`parse_range`,
:func:`evaluate_preconditions`, :func:`if_range_allows`, :func:`negotiate_encoding`,
:func:`content_disposition`, :func:`safe_path_segments`. The header parsers among them
live in asgikit-core since asgikit-files 0.2 (:mod:`asgikit.headers.conditional`,
:mod:`asgikit.headers.range`, :mod:`asgikit.headers.disposition`) and are re-exported
here as the same objects.
"""

from __future__ import annotations

from asgikit.files._content import (
    DEFAULT_MEDIA_TYPE,
    MEDIA_TYPES,
    guess_media_type,
    make_etag,
    negotiate_encoding,
    parse_accept_encoding,
)
from asgikit.files._respond import (
    DEFAULT_CHUNK_SIZE,
    FileChangedError,
    FileOptions,
    respond_file,
)
from asgikit.files._static import StaticFiles, StaticOptions, safe_path_segments, serve_static
from asgikit.headers.conditional import (
    evaluate_preconditions,
    format_http_date,
    if_range_allows,
    parse_http_date,
)
from asgikit.headers.disposition import content_disposition
from asgikit.headers.range import DEFAULT_MAX_RANGES, ByteRange, parse_range

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_RANGES",
    "DEFAULT_MEDIA_TYPE",
    "MEDIA_TYPES",
    "ByteRange",
    "FileChangedError",
    "FileOptions",
    "StaticFiles",
    "StaticOptions",
    "content_disposition",
    "evaluate_preconditions",
    "format_http_date",
    "guess_media_type",
    "if_range_allows",
    "make_etag",
    "negotiate_encoding",
    "parse_accept_encoding",
    "parse_http_date",
    "parse_range",
    "respond_file",
    "safe_path_segments",
    "serve_static",
]
