"""The multipart/form-data engine: sans-IO, with our limits on top of defnull's parser.

:class:`MultipartEngine` takes body chunks (:meth:`~MultipartEngine.feed`) and hands out
events (:meth:`~MultipartEngine.next_event`): a :class:`PartInfo` when a part's headers
are complete, ``bytes`` of its data, :data:`PART_END`, and :data:`DONE` after the closing
boundary. Every limit is checked on the event that crosses it, so nothing is buffered
past a limit by more than one chunk. The boundary search itself is
``multipart.PushMultipartParser``: it only re-scans the few bytes that may hold a split
delimiter, so its cost is linear in the body whatever the body holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from asgikit.errors import InvalidFormError, StateError
from asgikit.forms._filename import safe_filename
from asgikit.forms._limits import (
    Limits,
    body_too_large,
    field_too_large,
    file_too_large,
    malformed,
    part_headers_too_large,
    too_many_fields,
    too_many_files,
)
from asgikit.forms._push import Event, PushParser
from asgikit.headers import parse_content_type, parse_parameters
from asgikit.multivalue import MultiValueDict


class _Event:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NEED_DATA: Final = _Event("NEED_DATA")
PART_END: Final = _Event("PART_END")
DONE: Final = _Event("DONE")

# RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace. We accept any printable
# ASCII (some clients stray from bchars) but never a control, CR or LF.
_BOUNDARY_CHARS = frozenset(range(0x20, 0x7F))

_bad_header_char = re.compile("[\r\n\x00]").search
# A parameter whose value is a quoted string, where parse_parameters() sees one (a quote
# right after "name=" and optional whitespace); it ends at the next quote, since here a
# backslash escapes nothing.
_quoted = re.compile('; *[^;=]*=[ \t]*"[^"]*"?')


def _double_backslashes(match: re.Match[str]) -> str:
    return match.group().replace("\\", "\\\\")


# RFC 7578 §4.7: Content-Transfer-Encoding is deprecated for form-data; only the
# identity encodings are accepted, so no part is ever decoded (Django CVE-2022-23833).
_IDENTITY_ENCODINGS = frozenset(["7bit", "8bit", "binary"])


def parse_boundary(params: dict[str, str], limits: Limits) -> bytes:
    """The boundary parameter of a multipart Content-Type, validated."""
    boundary = params.get("boundary")
    if not boundary:
        raise InvalidFormError("multipart/form-data without a boundary parameter")
    if len(boundary) > limits.max_boundary_length:
        raise InvalidFormError(
            f"the multipart boundary is longer than {limits.max_boundary_length} characters",
            hint=f"max_boundary_length={limits.max_boundary_length}",
        )
    raw = boundary.encode("latin-1")
    if not _BOUNDARY_CHARS.issuperset(raw):
        raise InvalidFormError("the multipart boundary holds control characters")
    return raw


class PartInfo:
    """What a part's headers say: its name, filename, media type and charset."""

    __slots__ = ("charset", "content_type", "filename", "headers", "name")

    def __init__(
        self,
        name: str,
        filename: str | None,
        content_type: str | None,
        charset: str | None,
        headers: MultiValueDict[str],
    ) -> None:
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.charset = charset
        self.headers = headers


def _unescape(value: str) -> str:
    # WHATWG HTML "multipart/form-data encoding algorithm": names and filenames carry
    # LF, CR and '"' as %0A, %0D and %22; nothing else is percent-encoded.
    if "%" not in value:
        return value
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%22", '"')


def part_info(headerlist: list[tuple[str, str]], limits: Limits) -> PartInfo:
    """Build a :class:`PartInfo` from a part's ``(Name, value)`` header lines."""
    headers: MultiValueDict[str] = MultiValueDict()
    size = 0
    for name, value in headerlist:
        size += len(name) + len(value) + 4  # ": " and CRLF
        if _bad_header_char(value):
            # RFC 9110 §5.5: a bare CR or LF, or a NUL, never belongs in a field value.
            raise malformed("a part header holds a bare CR, LF or NUL")
        headers.add(name.lower(), value)
    if size > limits.max_part_header_size:
        raise part_headers_too_large(limits.max_part_header_size)
    encoding = headers.get_first("content-transfer-encoding")
    if encoding is not None and encoding.strip().lower() not in _IDENTITY_ENCODINGS:
        raise InvalidFormError(
            "form part with Content-Transfer-Encoding "
            f"{encoding[:40]!r}: RFC 7578 deprecates it; send the bytes as they are"
        )
    disposition = headers.get_first("content-disposition")
    if disposition is None:
        raise malformed("a part has no Content-Disposition header")
    # One linear parameter parser for every header (CVE-2024-24762, CVE-2026-28356).
    # Only the plain "name" and "filename" count: RFC 7578 §4.2 forbids "filename*", and
    # a decoy inside another parameter's quoted string is never taken as one.
    if "\\" in disposition:
        # WHATWG HTML: browsers and curl send a backslash as itself (a quote travels as
        # %22), so no backslash is an escape here. Inside a quoted string each one is
        # doubled for the RFC parser, which unescapes quoted strings only; a token has
        # nothing to unescape and keeps its backslashes as they are.
        disposition = _quoted.sub(_double_backslashes, disposition)
    kind, params = parse_parameters(disposition)
    if kind != "form-data":
        raise malformed(f"a part's Content-Disposition is {kind[:40]!r}, not form-data")
    raw_filename = params.get("filename")
    filename = None if raw_filename is None else safe_filename(_unescape(raw_filename))
    content_type: str | None = None
    charset: str | None = None
    raw_type = headers.get_first("content-type")
    if raw_type is not None:
        content_type, type_params = parse_content_type(raw_type)
        charset = type_params.get("charset")
    return PartInfo(_unescape(params.get("name", "")), filename, content_type, charset, headers)


class MultipartEngine:
    """A multipart/form-data body in, limit-checked events out. No I/O."""

    __slots__ = (
        "_events",
        "_fields",
        "_files",
        "_limits",
        "_parser",
        "_part",
        "_part_limit",
        "_part_size",
        "_received",
        "done",
    )

    def __init__(self, boundary: bytes, limits: Limits) -> None:
        self._limits = limits
        # Bytes before the first boundary (RFC 2046 "preamble") are skipped, but only a
        # few: a body that never shows its boundary is refused early (aiohttp #13652).
        self._parser = PushParser(
            boundary,
            max_size=limits.max_part_header_size,
            max_count=limits.max_part_headers,
        )
        self._events: Iterator[Event] | None = None
        self._received = 0
        self._fields = 0
        self._files = 0
        self._part: PartInfo | None = None
        self._part_size = 0
        self._part_limit = 0
        self.done = False

    def feed(self, chunk: bytes) -> None:
        """Give the engine the next chunk of the body; ``b""`` says the body ended.

        Call :meth:`next_event` until it returns :data:`NEED_DATA` before feeding again.
        """
        if self._events is not None:
            raise StateError(
                "cannot feed the multipart engine: the previous chunk's events are still "
                "pending (call next_event() until it returns NEED_DATA)"
            )
        if self.done:
            return  # bytes after the closing boundary (the epilogue) are ignored
        limit = self._limits.max_body_size
        self._received += len(chunk)
        if limit is not None and self._received > limit:
            raise body_too_large(limit)
        self._events = self._parser.parse(chunk)

    def next_event(self) -> PartInfo | bytes | _Event:
        """The next event: a :class:`PartInfo`, part data, :data:`PART_END`,
        :data:`NEED_DATA` (feed the next chunk) or :data:`DONE`."""
        events = self._events
        if events is None:
            return DONE if self.done else NEED_DATA
        try:
            event = next(events)
        except StopIteration:
            self._events = None
            if self._parser.complete:
                self.done = True
                return DONE
            return NEED_DATA
        except BaseException:
            self._events = None
            raise
        if type(event) is bytes:
            return self._on_data(event)
        if event is None:
            self._part = None
            return PART_END
        assert isinstance(event, list)
        return self._on_part(event)

    def _on_part(self, headerlist: list[tuple[str, str]]) -> PartInfo:
        limits = self._limits
        info = part_info(headerlist, limits)
        if info.filename is None:
            self._fields += 1
            if self._fields > limits.max_fields:
                raise too_many_fields(limits.max_fields)
            self._part_limit = limits.max_field_size
        else:
            self._files += 1
            if self._files > limits.max_files:
                raise too_many_files(limits.max_files)
            self._part_limit = limits.max_file_size
        self._part = info
        self._part_size = 0
        return info

    def _on_data(self, data: bytes) -> bytes:
        self._part_size += len(data)
        if self._part_size > self._part_limit:
            part = self._part
            assert part is not None  # data only comes inside a part
            if part.filename is None:
                raise field_too_large(part.name, self._part_limit)
            raise file_too_large(part.name, self._part_limit)
        return data

    def close(self) -> None:
        """Drop the parser's buffers; the engine cannot be used any more."""
        self._events = None
        self.done = True
        self._parser.close()
