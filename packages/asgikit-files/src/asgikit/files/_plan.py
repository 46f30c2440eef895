"""What a file response will be, decided without touching the file: the planner.

:func:`plan_file` takes what is known before any byte is read (the method, a stat of the
file, the request's headers and the caller's options) and returns a :class:`FilePlan`:
the status, the headers to set, and the layout of the body, down to the multipart
boundary and the exact Content-Length. It opens nothing and sends nothing, and with a
fixed ``new_boundary`` it is deterministic, so it is tested with tables. ``_respond``
is the executor: it opens, reads and sends what the plan says.

The decisions themselves are the pure functions of asgikit-core's header parsers:
:mod:`asgikit.headers.conditional` (validators and preconditions, RFC 9110 §13),
:mod:`asgikit.headers.range` (Range and Content-Range, §14) and
:mod:`asgikit.headers.disposition` (Content-Disposition); this module puts them in order.
"""

from __future__ import annotations

import enum
import os
import secrets
from collections.abc import Callable
from typing import NamedTuple

from asgikit.errors import RangeNotSatisfiableError
from asgikit.files._content import make_etag
from asgikit.headers import Headers
from asgikit.headers.conditional import evaluate_preconditions, format_http_date, if_range_allows
from asgikit.headers.disposition import content_disposition
from asgikit.headers.range import DEFAULT_MAX_RANGES, ByteRange, content_range, parse_range
from asgikit.responses import content_type_value

__all__ = [
    "HEAD",
    "MULTIPART",
    "RANGE",
    "STATUS",
    "WHOLE",
    "FilePlan",
    "Layout",
    "Piece",
    "joined",
    "plan_file",
]

# A piece of a response body: literal bytes, or ``(offset, count)`` of the file.
Piece = bytes | tuple[int, int]


class Layout(enum.Enum):
    """The shape of the answer, which says what the executor has to do."""

    #: 304, 412 or 416: the status and the plan's headers, no representation at all.
    STATUS = "status"
    #: HEAD: the headers the GET would get, Content-Length included, and no body.
    HEAD = "head"
    #: The whole file, which may be handed to the server by path (``FilePlan.pathsend``).
    WHOLE = "whole"
    #: One byte range (206 with Content-Range).
    RANGE = "range"
    #: Several ranges as one ``multipart/byteranges`` body (206). The plan's media type
    #: replaces any Content-Type the application set; each part carries that one.
    MULTIPART = "multipart"


# The members as module constants: on Python 3.11 ``Layout.WHOLE`` is a descriptor call
# (about 0.1 µs), which every file response would pay several times.
STATUS = Layout.STATUS
HEAD = Layout.HEAD
WHOLE = Layout.WHOLE
RANGE = Layout.RANGE
MULTIPART = Layout.MULTIPART


class FilePlan(NamedTuple):
    """A file response, decided. ``headers`` are set in order, each replacing any line
    of that name; ``media_type`` and ``length`` go into ``response.start``; ``pieces``
    is the body (nothing for ``STATUS`` and ``HEAD``)."""

    layout: Layout
    status: int
    headers: tuple[tuple[str, str], ...]
    media_type: str
    length: int
    pieces: tuple[Piece, ...] = ()
    #: The server offers ``http.response.pathsend`` and the whole file is sent as it is.
    pathsend: bool = False


def joined(values: list[str]) -> str | None:
    """The lines of a list-valued header as one value (RFC 9110 §5.3), ``None`` if none."""
    return ", ".join(values) if values else None


def _random_boundary() -> str:
    return secrets.token_hex(16)


def plan_file(
    method: str,
    stat_result: os.stat_result,
    request_headers: Headers,
    *,
    status: int = 200,
    media_type: str,
    content_type: str | None = None,
    encoding: str = "utf-8",
    download_name: str | None = None,
    content_encoding: str | None = None,
    etag_suffix: str = "",
    max_ranges: int = DEFAULT_MAX_RANGES,
    pathsend: bool = False,
    new_boundary: Callable[[], str] = _random_boundary,
) -> FilePlan:
    """Plan the answer to ``method`` for the regular file described by ``stat_result``.

    The parts of a multipart body are typed with ``content_type``, the Content-Type
    header the application set if any, else ``media_type`` (with ``; charset=encoding``
    for a text type). ``pathsend``: the server offers ``http.response.pathsend``.
    ``new_boundary`` is called once, and only for a multipart body.

    With ``status`` 200 the file's ETag and Last-Modified are sent and decide the
    preconditions (RFC 9110 §13.2.2, 304 or 412), then ``Accept-Ranges: bytes`` and, on
    GET, the Range header (§14.2, with If-Range, §13.1.5): one range, several, or 416
    with ``Content-Range: bytes */size``. Any other status sends the whole file with
    none of these (§13.2.1: preconditions only apply to what would otherwise be a 2xx).
    """
    size = stat_result.st_size
    headers: list[tuple[str, str]] = []
    ranges: list[ByteRange] | None = None
    if status == 200:
        etag = make_etag(stat_result, etag_suffix)
        last_modified = int(stat_result.st_mtime)
        headers.append(("etag", etag))
        headers.append(("last-modified", format_http_date(last_modified)))
        ims = request_headers.get_all("if-modified-since")
        ius = request_headers.get_all("if-unmodified-since")
        decision = evaluate_preconditions(
            method,
            etag=etag,
            last_modified=last_modified,
            if_match=joined(request_headers.get_all("if-match")),
            if_none_match=joined(request_headers.get_all("if-none-match")),
            # §13.1.3/§13.1.4: a date field with more than one member is ignored.
            if_modified_since=ims[0] if len(ims) == 1 else None,
            if_unmodified_since=ius[0] if len(ius) == 1 else None,
        )
        if decision is not None:
            return FilePlan(STATUS, decision, tuple(headers), media_type, 0)
        headers.append(("accept-ranges", "bytes"))
        range_lines = request_headers.get_all("range")
        # §14.2: Range is defined for GET only; a field repeated is not one range-set.
        if method == "GET" and len(range_lines) == 1:
            if_range = request_headers.get_all("if-range")
            if not if_range or (
                len(if_range) == 1
                and if_range_allows(if_range[0], etag=etag, last_modified=last_modified)
            ):
                try:
                    ranges = parse_range(range_lines[0], size, max_ranges=max_ranges)
                except RangeNotSatisfiableError:
                    headers.append(("content-range", content_range(None, size)))
                    return FilePlan(STATUS, 416, tuple(headers), media_type, 0)
    if content_encoding is not None:
        headers.append(("content-encoding", content_encoding))
    if download_name is not None:
        headers.append(("content-disposition", content_disposition(download_name)))
    if method == "HEAD":
        return FilePlan(HEAD, status, tuple(headers), media_type, size)
    if ranges is None:
        return FilePlan(WHOLE, status, tuple(headers), media_type, size, ((0, size),), pathsend)
    if len(ranges) == 1:
        first, count = ranges[0].first, ranges[0].length
        headers.append(("content-range", content_range(ranges[0], size)))
        return FilePlan(RANGE, 206, tuple(headers), media_type, count, ((first, count),))
    return _multipart(
        ranges,
        size,
        headers,
        content_type or content_type_value(media_type, encoding),
        new_boundary(),
    )


def _multipart(
    ranges: list[ByteRange],
    size: int,
    headers: list[tuple[str, str]],
    part_type: str,
    boundary: str,
) -> FilePlan:
    """RFC 9110 §14.6: each part has its Content-Type and Content-Range, between
    ``--boundary`` lines; the body ends with ``--boundary--``."""
    pieces: list[Piece] = []
    for byte_range in ranges:
        pieces.append(
            f"--{boundary}\r\nContent-Type: {part_type}\r\n"
            f"Content-Range: {content_range(byte_range, size)}\r\n\r\n".encode("latin-1")
        )
        pieces.append((byte_range.first, byte_range.length))
        pieces.append(b"\r\n")
    pieces.append(f"--{boundary}--\r\n".encode("latin-1"))
    length = sum(len(p) if isinstance(p, bytes) else p[1] for p in pieces)
    return FilePlan(
        MULTIPART,
        206,
        tuple(headers),
        f"multipart/byteranges; boundary={boundary}",
        length,
        tuple(pieces),
    )
