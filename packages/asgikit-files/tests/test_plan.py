"""The file-response planner as a table: inputs → status, headers, body layout.

Each row is a request (method and header lines) and the options of ``respond_file``
against one fixed file of 1000 bytes; the expected value is the whole plan. The plan is
pure: no file is behind the stat, and the multipart boundary is fixed.
"""

from __future__ import annotations

import os
import stat
from typing import Any

import pytest

from asgikit.files._plan import FilePlan, Layout, plan_file
from asgikit.headers import Headers

SIZE = 1000
MTIME = 784111777  # Sun, 06 Nov 1994 08:49:37 GMT
SAME = "Sun, 06 Nov 1994 08:49:37 GMT"
BEFORE = "Sun, 06 Nov 1994 08:49:36 GMT"
AFTER = "Sun, 06 Nov 1994 08:49:38 GMT"
BOUNDARY = "0123456789abcdef"


def file_stat(size: int = SIZE, mtime: int = MTIME) -> os.stat_result:
    """A stat of a regular file, made up: the planner never looks at the disk."""
    ns = mtime * 10**9
    return os.stat_result(
        (stat.S_IFREG | 0o644, 1, 1, 1, 0, 0, size, mtime, mtime, mtime)
        + (float(mtime),) * 3
        + (ns,) * 3
    )


ETAG = '"ae1b981bc490a00-3e8"'  # the mtime in nanoseconds, then the size, in hex
VALIDATORS = (("etag", ETAG), ("last-modified", SAME))
RANGES = ("accept-ranges", "bytes")
TEXT = "text/plain"
WHOLE = ((0, SIZE),)


def ok(*headers: tuple[str, str], status: int = 200, pathsend: bool = False) -> FilePlan:
    """The whole file."""
    return FilePlan(Layout.WHOLE, status, headers, TEXT, SIZE, WHOLE, pathsend)


def head(*headers: tuple[str, str], status: int = 200) -> FilePlan:
    return FilePlan(Layout.HEAD, status, headers, TEXT, SIZE)


def refused(status: int, *headers: tuple[str, str]) -> FilePlan:
    """304, 412 or 416: the status alone."""
    return FilePlan(Layout.STATUS, status, headers, TEXT, 0)


def one_range(first: int, last: int, *before: tuple[str, str]) -> FilePlan:
    headers = (*VALIDATORS, RANGES, *before, ("content-range", f"bytes {first}-{last}/{SIZE}"))
    return FilePlan(
        Layout.RANGE, 206, headers, TEXT, last - first + 1, ((first, last - first + 1),)
    )


def part(first: int, last: int, part_type: str = "text/plain; charset=utf-8") -> bytes:
    return (
        f"--{BOUNDARY}\r\nContent-Type: {part_type}\r\n"
        f"Content-Range: bytes {first}-{last}/{SIZE}\r\n\r\n"
    ).encode()


END = f"--{BOUNDARY}--\r\n".encode()
# The lengths below are counted by hand, so that a wrong sum cannot agree with itself: a
# part header is 94 bytes for "0-9" with text/plain; charset=utf-8 (20 for the
# boundary line, 41 for Content-Type, 31 for Content-Range, 2 for the blank line), the
# end line 22.


def multipart(
    pieces: tuple[bytes | tuple[int, int], ...], length: int, *before: tuple[str, str]
) -> FilePlan:
    return FilePlan(
        Layout.MULTIPART,
        206,
        (*VALIDATORS, RANGES, *before),
        f"multipart/byteranges; boundary={BOUNDARY}",
        length,
        pieces,
    )


TWO_PARTS = (part(0, 9), (0, 10), b"\r\n", part(20, 29), (20, 10), b"\r\n", END)
TWO_PARTS_LENGTH = 94 + 10 + 2 + 96 + 10 + 2 + 22  # "20-29" is two bytes longer than "0-9"

# (id, method, request header lines, options, expected plan)
Row = tuple[str, str, list[tuple[str, str]], dict[str, Any], FilePlan]
TABLE: list[Row] = [
    # -- the whole file, HEAD, pathsend ---------------------------------------------------
    ("get", "GET", [], {}, ok(*VALIDATORS, RANGES)),
    ("get-pathsend", "GET", [], {"pathsend": True}, ok(*VALIDATORS, RANGES, pathsend=True)),
    ("head", "HEAD", [], {}, head(*VALIDATORS, RANGES)),
    ("head-never-pathsend", "HEAD", [], {"pathsend": True}, head(*VALIDATORS, RANGES)),
    ("head-ignores-range", "HEAD", [("range", "bytes=0-9")], {}, head(*VALIDATORS, RANGES)),
    ("post-ignores-range", "POST", [("range", "bytes=0-9")], {}, ok(*VALIDATORS, RANGES)),
    (
        "head-ignores-unsatisfiable-range",
        "HEAD",
        [("range", "bytes=5000-")],
        {},
        head(*VALIDATORS, RANGES),
    ),
    # -- preconditions, in RFC 9110 §13.2.2 order ----------------------------------------
    ("inm-match", "GET", [("if-none-match", ETAG)], {}, refused(304, *VALIDATORS)),
    ("inm-match-head", "HEAD", [("if-none-match", ETAG)], {}, refused(304, *VALIDATORS)),
    ("inm-star", "GET", [("if-none-match", "*")], {}, refused(304, *VALIDATORS)),
    ("inm-stale", "GET", [("if-none-match", '"stale"')], {}, ok(*VALIDATORS, RANGES)),
    ("inm-post", "POST", [("if-none-match", ETAG)], {}, refused(412, *VALIDATORS)),
    (
        "inm-over-two-lines",
        "GET",
        [("if-none-match", '"x"'), ("if-none-match", ETAG)],
        {},
        refused(304, *VALIDATORS),
    ),
    ("ims-same", "GET", [("if-modified-since", SAME)], {}, refused(304, *VALIDATORS)),
    ("ims-before", "GET", [("if-modified-since", BEFORE)], {}, ok(*VALIDATORS, RANGES)),
    (
        "ims-two-lines-ignored",
        "GET",
        [("if-modified-since", SAME), ("if-modified-since", SAME)],
        {},
        ok(*VALIDATORS, RANGES),
    ),
    (
        "inm-stale-beats-ims",
        "GET",
        [("if-none-match", '"stale"'), ("if-modified-since", AFTER)],
        {},
        ok(*VALIDATORS, RANGES),
    ),
    ("im-other", "GET", [("if-match", '"x"')], {}, refused(412, *VALIDATORS)),
    ("im-weak", "GET", [("if-match", f"W/{ETAG}")], {}, refused(412, *VALIDATORS)),
    (
        "im-over-two-lines",
        "GET",
        [("if-match", '"x"'), ("if-match", ETAG)],
        {},
        ok(*VALIDATORS, RANGES),
    ),
    (
        "im-before-inm",
        "GET",
        [("if-match", '"x"'), ("if-none-match", ETAG)],
        {},
        refused(412, *VALIDATORS),
    ),
    (
        "ius-before-inm",
        "GET",
        [("if-unmodified-since", BEFORE), ("if-none-match", ETAG)],
        {},
        refused(412, *VALIDATORS),
    ),
    ("ius-after", "GET", [("if-unmodified-since", AFTER)], {}, ok(*VALIDATORS, RANGES)),
    (
        "ius-two-lines-ignored",
        "GET",
        [("if-unmodified-since", BEFORE), ("if-unmodified-since", BEFORE)],
        {},
        ok(*VALIDATORS, RANGES),
    ),
    (
        "preconditions-before-range",
        "GET",
        [("if-none-match", ETAG), ("range", "bytes=0-9")],
        {},
        refused(304, *VALIDATORS),
    ),
    (
        "preconditions-before-416",
        "GET",
        [("if-match", '"x"'), ("range", "bytes=5000-")],
        {},
        refused(412, *VALIDATORS),
    ),
    (
        "im-match-then-range",
        "GET",
        [("if-match", ETAG), ("range", "bytes=0-9")],
        {},
        one_range(0, 9),
    ),
    # -- one range -------------------------------------------------------------------------
    ("range-first", "GET", [("range", "bytes=0-9")], {}, one_range(0, 9)),
    ("range-suffix", "GET", [("range", "bytes=-10")], {}, one_range(990, 999)),
    ("range-open", "GET", [("range", "bytes=990-")], {}, one_range(990, 999)),
    ("range-clamped", "GET", [("range", "bytes=995-2000")], {}, one_range(995, 999)),
    ("range-suffix-too-long", "GET", [("range", "bytes=-5000")], {}, one_range(0, 999)),
    ("range-merged", "GET", [("range", "bytes=0-9,5-19")], {}, one_range(0, 19)),
    ("range-adjacent-merged", "GET", [("range", "bytes=10-19,0-9")], {}, one_range(0, 19)),
    ("range-other-unit", "GET", [("range", "items=0-9")], {}, ok(*VALIDATORS, RANGES)),
    (
        "range-two-lines-ignored",
        "GET",
        [("range", "bytes=0-9"), ("range", "bytes=20-29")],
        {},
        ok(*VALIDATORS, RANGES),
    ),
    (
        "range-no-pathsend",
        "GET",
        [("range", "bytes=0-9")],
        {"pathsend": True},
        one_range(0, 9),
    ),
    # -- several ranges: multipart/byteranges -----------------------------------------------
    (
        "multi",
        "GET",
        [("range", "bytes=20-29,0-9")],
        {},
        multipart(TWO_PARTS, TWO_PARTS_LENGTH),
    ),
    (
        "multi-suffix-and-first",
        "GET",
        [("range", "bytes=0-0,-1")],
        {},
        multipart(
            (part(0, 0), (0, 1), b"\r\n", part(999, 999), (999, 1), b"\r\n", END),
            94 + 1 + 2 + 98 + 1 + 2 + 22,
        ),
    ),
    (
        "multi-app-content-type",
        "GET",
        [("range", "bytes=0-9,20-29")],
        {"content_type": "application/x-thing"},
        multipart(
            (
                *(part(0, 9, "application/x-thing"), (0, 10), b"\r\n"),
                *(part(20, 29, "application/x-thing"), (20, 10), b"\r\n"),
                END,
            ),
            TWO_PARTS_LENGTH - 2 * len("text/plain; charset=utf-8") + 2 * 19,
        ),
    ),
    (
        "multi-encoding",
        "GET",
        [("range", "bytes=0-9,20-29")],
        {"encoding": "latin-1"},
        multipart(
            (
                *(part(0, 9, "text/plain; charset=latin-1"), (0, 10), b"\r\n"),
                *(part(20, 29, "text/plain; charset=latin-1"), (20, 10), b"\r\n"),
                END,
            ),
            TWO_PARTS_LENGTH + 2 * 2,
        ),
    ),
    (
        "multi-at-max-ranges",
        "GET",
        [("range", "bytes=0-9,20-29")],
        {"max_ranges": 2},
        multipart(TWO_PARTS, TWO_PARTS_LENGTH),
    ),
    (
        "over-max-ranges-is-whole",
        "GET",
        [("range", "bytes=0-9,20-29,40-49")],
        {"max_ranges": 2},
        ok(*VALIDATORS, RANGES),
    ),
    # -- 416 ---------------------------------------------------------------------------------
    (
        "unsatisfiable",
        "GET",
        [("range", "bytes=1000-")],
        {},
        refused(416, *VALIDATORS, RANGES, ("content-range", "bytes */1000")),
    ),
    (
        "invalid",
        "GET",
        [("range", "bytes=9-0")],
        {},
        refused(416, *VALIDATORS, RANGES, ("content-range", "bytes */1000")),
    ),
    (
        "suffix-zero",
        "GET",
        [("range", "bytes=-0")],
        {},
        refused(416, *VALIDATORS, RANGES, ("content-range", "bytes */1000")),
    ),
    # -- If-Range --------------------------------------------------------------------------
    (
        "if-range-etag",
        "GET",
        [("range", "bytes=0-9"), ("if-range", ETAG)],
        {},
        one_range(0, 9),
    ),
    (
        "if-range-date",
        "GET",
        [("range", "bytes=0-9"), ("if-range", SAME)],
        {},
        one_range(0, 9),
    ),
    (
        "if-range-stale-etag",
        "GET",
        [("range", "bytes=0-9"), ("if-range", '"stale"')],
        {},
        ok(*VALIDATORS, RANGES),
    ),
    (
        "if-range-weak-etag",
        "GET",
        [("range", "bytes=0-9"), ("if-range", f"W/{ETAG}")],
        {},
        ok(*VALIDATORS, RANGES),
    ),
    (
        "if-range-later-date",
        "GET",
        [("range", "bytes=0-9"), ("if-range", AFTER)],
        {},
        ok(*VALIDATORS, RANGES),
    ),
    (
        "if-range-two-lines",
        "GET",
        [("range", "bytes=0-9"), ("if-range", ETAG), ("if-range", ETAG)],
        {},
        ok(*VALIDATORS, RANGES),
    ),
    (
        "if-range-stale-beats-416",
        "GET",
        [("range", "bytes=5000-"), ("if-range", '"stale"')],
        {},
        ok(*VALIDATORS, RANGES),
    ),
    (
        "if-range-without-range",
        "GET",
        [("if-range", ETAG)],
        {},
        ok(*VALIDATORS, RANGES),
    ),
    # -- downloads and encodings --------------------------------------------------------------
    (
        "download-name",
        "GET",
        [],
        {"download_name": "résumé.pdf"},
        ok(
            *VALIDATORS,
            RANGES,
            (
                "content-disposition",
                "attachment; filename=\"resume.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
            ),
        ),
    ),
    (
        "download-name-head",
        "HEAD",
        [],
        {"download_name": "a.txt"},
        head(*VALIDATORS, RANGES, ("content-disposition", 'attachment; filename="a.txt"')),
    ),
    (
        "download-name-with-range",
        "GET",
        [("range", "bytes=0-9")],
        {"download_name": "a.txt"},
        one_range(0, 9, ("content-disposition", 'attachment; filename="a.txt"')),
    ),
    (
        "download-name-not-on-304",
        "GET",
        [("if-none-match", ETAG)],
        {"download_name": "a.txt"},
        refused(304, *VALIDATORS),
    ),
    (
        "precompressed-variant",
        "GET",
        [],
        {"content_encoding": "br", "etag_suffix": "-br"},
        ok(
            ("etag", ETAG[:-1] + '-br"'),
            ("last-modified", SAME),
            RANGES,
            ("content-encoding", "br"),
        ),
    ),
    (
        "precompressed-variant-range",
        "GET",
        [("range", "bytes=0-9")],
        {"content_encoding": "gzip"},
        one_range(0, 9, ("content-encoding", "gzip")),
    ),
    # -- a status other than 200: the whole file, no validators, no preconditions, no ranges --
    ("status-404", "GET", [], {"status": 404}, ok(status=404)),
    (
        "status-404-ignores-preconditions-and-range",
        "GET",
        [("if-none-match", "*"), ("if-match", '"x"'), ("range", "bytes=0-9")],
        {"status": 404},
        ok(status=404),
    ),
    ("status-404-head", "HEAD", [], {"status": 404}, head(status=404)),
    (
        "status-404-pathsend",
        "GET",
        [],
        {"status": 404, "pathsend": True},
        ok(status=404, pathsend=True),
    ),
    (
        "status-404-download",
        "GET",
        [],
        {"status": 404, "download_name": "a.txt"},
        ok(("content-disposition", 'attachment; filename="a.txt"'), status=404),
    ),
]


@pytest.mark.parametrize(
    ("method", "lines", "options", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in TABLE],
)
def test_plan_table(
    method: str, lines: list[tuple[str, str]], options: dict[str, Any], expected: FilePlan
) -> None:
    headers = Headers([(name.encode(), value.encode("latin-1")) for name, value in lines])
    plan = plan_file(
        method, file_stat(), headers, media_type=TEXT, new_boundary=lambda: BOUNDARY, **options
    )
    assert plan == expected
    # The Content-Length is the body the pieces describe.
    if plan.layout in (Layout.WHOLE, Layout.RANGE, Layout.MULTIPART):
        assert plan.length == sum(len(p) if isinstance(p, bytes) else p[1] for p in plan.pieces)


EMPTY_ETAG = '"ae1b981bc490a00-0"'

# An empty file: (id, range header, expected plan)
EMPTY: list[tuple[str, str | None, FilePlan]] = [
    (
        "get",
        None,
        FilePlan(
            Layout.WHOLE,
            200,
            (("etag", EMPTY_ETAG), ("last-modified", SAME), RANGES),
            TEXT,
            0,
            ((0, 0),),
        ),
    ),
    (
        # §14.1.1: a suffix range is satisfiable on an empty file, but no Content-Range
        # can describe zero bytes: the whole (empty) file answers it.
        "suffix",
        "bytes=-5",
        FilePlan(
            Layout.WHOLE,
            200,
            (("etag", EMPTY_ETAG), ("last-modified", SAME), RANGES),
            TEXT,
            0,
            ((0, 0),),
        ),
    ),
    (
        "first",
        "bytes=0-",
        FilePlan(
            Layout.STATUS,
            416,
            (("etag", EMPTY_ETAG), ("last-modified", SAME), RANGES, ("content-range", "bytes */0")),
            TEXT,
            0,
        ),
    ),
]


@pytest.mark.parametrize(
    ("range_", "expected"), [pytest.param(*row[1:], id=row[0]) for row in EMPTY]
)
def test_plan_of_an_empty_file(range_: str | None, expected: FilePlan) -> None:
    lines = [] if range_ is None else [(b"range", range_.encode())]
    assert plan_file("GET", file_stat(size=0), Headers(lines), media_type=TEXT) == expected


def test_the_boundary_is_asked_for_only_by_a_multipart_plan() -> None:
    asked: list[int] = []

    def boundary() -> str:
        asked.append(1)
        return BOUNDARY

    for lines in ([], [(b"range", b"bytes=0-9")], [(b"range", b"bytes=2000-")]):
        plan_file("GET", file_stat(), Headers(lines), media_type=TEXT, new_boundary=boundary)
    assert asked == []
    plan_file(
        "GET",
        file_stat(),
        Headers([(b"range", b"bytes=0-1,5-6")]),
        media_type=TEXT,
        new_boundary=boundary,
    )
    assert asked == [1]


def test_the_default_boundary_is_fresh_each_time() -> None:
    headers = Headers([(b"range", b"bytes=0-1,5-6")])
    first, second = (
        plan_file("GET", file_stat(), headers, media_type=TEXT).media_type for _ in range(2)
    )
    assert first != second
    for media_type in (first, second):
        boundary = media_type.removeprefix("multipart/byteranges; boundary=")
        assert len(boundary) == 32 and set(boundary) <= set("0123456789abcdef")
