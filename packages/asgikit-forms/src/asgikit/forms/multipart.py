"""The multipart/form-data framing as a sans-IO layer: bytes in, events out, no I/O.

:class:`MultipartParser` is what :func:`~asgikit.forms.read_form` and
:func:`~asgikit.forms.iter_parts` run on; a framework, a proxy or a test can drive it
with bytes from anywhere::

    parser = MultipartParser(boundary)
    parser.feed(chunk)           # as often as bytes arrive, in any pieces
    parser.feed_eof()            # once, when the body ended
    event = parser.next_event()  # until NEED_DATA (feed more) or a BodyEnd

Each part gives one :class:`PartStart` (its name, filename, media type, charset and
headers), zero or more :class:`PartData`, and one :class:`PartEnd`; the closing boundary
gives :class:`BodyEnd`, returned from then on. The events never depend on how the body
is split: every decision is taken on bytes that are all in hand, and only the few bytes
that may begin a delimiter are carried to the next chunk, so the work stays linear in
the body whatever it holds. Data events carry the bytes as they come (never empty); two
splits of one body may cut the data differently, never change it.

The grammar, from RFC 2046 §5.1.1::

    multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF body-part
                      *encapsulation close-delimiter transport-padding [CRLF epilogue]
    encapsulation := delimiter transport-padding CRLF body-part
    delimiter := CRLF dash-boundary          dash-boundary := "--" boundary
    transport-padding := *LWSP-char          ; "receivers must be prepared to find it"

A delimiter starts a line, so ``--boundary`` anywhere else is not one. In the preamble
such a stray ``--boundary`` is refused rather than skipped: skipping it would silently
drop the part that follows it. The epilogue is never read.

Errors, all from :mod:`asgikit.errors`: a malformed body raises
:class:`~asgikit.errors.InvalidFormError` (400), a part header that is not UTF-8
:class:`~asgikit.errors.InvalidEncodingError` (400), too many or too large part headers
:class:`~asgikit.errors.ContentTooLargeError` (413). After an error, or after
:meth:`~MultipartParser.close`, every call raises :class:`~asgikit.errors.StateError`.

New in asgikit-forms 0.2.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, TypeAlias

from asgikit.errors import ContentTooLargeError, InvalidEncodingError, InvalidFormError, StateError
from asgikit.forms._filename import safe_filename
from asgikit.forms._limits import DEFAULT_MAX_BOUNDARY_LENGTH as _MAX_BOUNDARY_LENGTH
from asgikit.forms._limits import DEFAULT_MAX_PART_HEADER_SIZE as _MAX_PART_HEADER_SIZE
from asgikit.forms._limits import DEFAULT_MAX_PART_HEADERS as _MAX_PART_HEADERS
from asgikit.forms._limits import malformed as _malformed
from asgikit.forms._limits import part_headers_too_large as _part_headers_too_large
from asgikit.headers import parse_content_type
from asgikit.headers.disposition import parse_content_disposition
from asgikit.multivalue import MultiValueDict

__all__ = [
    "NEED_DATA",
    "BodyEnd",
    "Event",
    "MultipartParser",
    "NeedData",
    "PartData",
    "PartEnd",
    "PartStart",
]


# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartStart:
    """A part's headers are complete.

    ``name`` is the field name (``""`` when absent); ``filename`` the client's filename
    reduced by :func:`~asgikit.forms.safe_filename`, or ``None`` for a text field (an
    empty ``filename=""`` gives ``""``: still a file); ``content_type`` (lower-cased) and
    ``charset`` come from the part's Content-Type, ``None`` when absent; ``headers``
    holds every part header by lower-cased name. Names and filenames are read as
    browsers send them (WHATWG): ``%22``, ``%0D``, ``%0A`` stand for ``"``, CR, LF.
    """

    name: str
    filename: str | None
    content_type: str | None
    charset: str | None
    headers: MultiValueDict[str]


@dataclass(frozen=True, slots=True)
class PartData:
    """The next bytes of the current part's content (never empty)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class PartEnd:
    """The current part ended: its delimiter was read."""


@dataclass(frozen=True, slots=True)
class BodyEnd:
    """The closing boundary was read; anything after it (the epilogue) is ignored."""


class NeedData:
    """The type of :data:`NEED_DATA`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_DATA"


#: :meth:`MultipartParser.next_event` has nothing more to say until the next
#: :meth:`~MultipartParser.feed` or :meth:`~MultipartParser.feed_eof`.
NEED_DATA: Final = NeedData()

Event: TypeAlias = PartStart | PartData | PartEnd | BodyEnd | NeedData

_PART_END: Final = PartEnd()
_BODY_END: Final = BodyEnd()


# -- the parser -----------------------------------------------------------------------------

_PREAMBLE: Final = 0
_LINE: Final = 1  # the rest of a boundary line: "--", transport padding, CRLF
_HEADERS: Final = 2
_BODY: Final = 3
_DONE: Final = 4
_FAILED: Final = 5

_CRLF: Final = b"\r\n"
_PADDING: Final = b" \t"
_token = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch
_padding = re.compile(b"[ \t]*").match

# RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace. We accept any printable
# ASCII (some clients stray from bchars) but never a control, CR or LF.
_BOUNDARY_CHARS: Final = frozenset(range(0x20, 0x7F))

# What the framing hands to the part layer: a part's header lines, a piece of its data,
# or None when it ends.
_Raw: TypeAlias = list[tuple[str, str]] | bytes | None


class MultipartParser:
    """The framing of one ``multipart/form-data`` body (RFC 7578, RFC 2046 §5.1.1).

    ``boundary`` is the Content-Type's ``boundary`` parameter (``str`` or ``bytes``):
    printable ASCII, at most ``max_boundary_length`` characters (256; RFC 2046 allows
    70), or :class:`~asgikit.errors.InvalidFormError`. The other limits, each a 413 or
    400 error the moment it is crossed, whose hint names the argument:

    - ``max_part_headers`` header lines per part (8);
    - ``max_part_header_size`` bytes of one part's header section (8 KiB), and of the
      transport padding after a boundary;
    - ``max_preamble_size`` bytes before the first boundary, counted across the whole
      body however it is fed; ``None`` (the default) means ``max_part_header_size``.

    Part headers must be UTF-8 and hold no bare CR, LF or NUL; folded lines (obs-fold)
    are joined. A part needs ``Content-Disposition: form-data``; only its plain ``name``
    and ``filename`` parameters count (``filename*`` is ignored, RFC 7578 §4.2). A
    ``Content-Transfer-Encoding`` other than 7bit, 8bit or binary is refused: no part is
    ever decoded (RFC 7578 §4.7).
    """

    __slots__ = (
        "_buffer",
        "_chunks",
        "_closing",
        "_count",
        "_dash",
        "_delimiter",
        "_eof",
        "_headers",
        "_max_count",
        "_max_preamble",
        "_max_size",
        "_padding",
        "_pieces",
        "_preamble_option",
        "_raw",
        "_scanned",
        "_seen",
        "_size",
        "_state",
    )

    def __init__(
        self,
        boundary: str | bytes,
        *,
        max_part_headers: int = _MAX_PART_HEADERS,
        max_part_header_size: int = _MAX_PART_HEADER_SIZE,
        max_boundary_length: int = _MAX_BOUNDARY_LENGTH,
        max_preamble_size: int | None = None,
    ) -> None:
        for option, value in (
            ("max_part_headers", max_part_headers),
            ("max_part_header_size", max_part_header_size),
            ("max_boundary_length", max_boundary_length),
            ("max_preamble_size", 0 if max_preamble_size is None else max_preamble_size),
        ):
            if type(value) is not int or value < 0:
                raise ValueError(f"{option} must be an int >= 0, not {value!r}")
        raw = _check_boundary(boundary, max_boundary_length)
        self._dash = b"--" + raw
        self._delimiter = _CRLF + self._dash
        self._max_size = max_part_header_size
        self._max_count = max_part_headers
        if max_preamble_size is None:
            self._max_preamble = max_part_header_size
            self._preamble_option = "max_part_header_size"
        else:
            self._max_preamble = max_preamble_size
            self._preamble_option = "max_preamble_size"
        # The body as if it began with CRLF, so that a dash-boundary at its very start
        # is a delimiter like any other: in the preamble state, the bytes not yet ruled
        # out, and where they start in that virtual body.
        self._buffer = _CRLF
        self._seen = 0
        self._state = _PREAMBLE
        self._headers: list[tuple[str, str]] = []
        self._size = 0  # bytes of the current part's header section so far
        self._count = 0
        # Of the bytes carried over in the header state, how many hold no line end: a
        # long header line fed in small pieces is scanned once, not once per piece.
        self._scanned = 0
        self._pieces: list[bytes] = []  # and the chunks after them, not yet joined
        self._closing: bool | None = None  # on a boundary line: is it the closing one?
        self._padding = 0  # transport padding seen on this boundary line
        self._chunks: deque[bytes] = deque()
        self._eof = False
        self._raw: Iterator[_Raw] | None = None

    def feed(self, data: bytes) -> None:
        """Give the parser the next bytes of the body, in pieces of any size (``b""``
        is allowed and does nothing). Bytes may be fed while events are still pending;
        they are parsed once those are read. Bytes after the closing boundary are
        ignored. Raises :class:`~asgikit.errors.StateError` after :meth:`feed_eof`."""
        if self._eof or self._state == _FAILED:
            raise self._unusable("feed")
        if data and self._state != _DONE:
            self._chunks.append(data)

    def feed_eof(self) -> None:
        """Say that the body ended. A body that ends before its closing boundary makes
        :meth:`next_event` raise :class:`~asgikit.errors.InvalidFormError`."""
        if self._eof or self._state == _FAILED:
            raise self._unusable("feed_eof")
        self._eof = True

    def next_event(self) -> Event:
        """The next event: :class:`PartStart`, :class:`PartData`, :class:`PartEnd`,
        :class:`BodyEnd` (from the closing boundary on), or :data:`NEED_DATA` when the
        bytes fed so far say nothing more."""
        while True:
            raw = self._raw
            if raw is not None:
                try:
                    item = next(raw, _BODY_END)
                    if item is _BODY_END:
                        self._raw = None
                        continue
                    if type(item) is bytes:
                        return PartData(item)
                    if item is None:
                        return _PART_END
                    assert isinstance(item, list)
                    return _part_start(item)
                except BaseException:
                    self._fail()
                    raise
            state = self._state
            if state == _DONE:
                return _BODY_END
            if state == _FAILED:
                raise self._unusable("next_event")
            chunks = self._chunks
            if chunks:
                chunk = chunks.popleft()
                if state == _BODY and not self._buffer:
                    # The common chunk of a large part: no delimiter in it and none
                    # begun at its end, nothing carried. It is the part's data as it
                    # is, as _parse() would give it, without a generator per chunk.
                    delimiter = self._delimiter
                    if (
                        chunk.find(delimiter) < 0
                        and chunk.rfind(b"\r", max(0, len(chunk) - len(delimiter) + 1)) < 0
                    ):
                        return PartData(chunk)
                self._raw = self._parse(chunk, False)
            elif self._eof:
                self._raw = self._parse(b"", True)
            else:
                return NEED_DATA

    @property
    def is_done(self) -> bool:
        """Whether the closing boundary was read."""
        return self._state == _DONE

    def close(self) -> None:
        """Drop every buffered byte; the parser cannot be used any more."""
        self._buffer = b""
        self._pieces = []
        self._chunks.clear()
        self._raw = None
        self._state = _FAILED

    # -- the framing ----------------------------------------------------------------------

    def _parse(self, chunk: bytes, final: bool) -> Iterator[_Raw]:
        """The raw items ``chunk`` completes; ``final`` says the body ended. The caller
        reads them all before the next chunk."""
        if self._scanned:
            # A header line is open. The carried bytes hold no LF, so a chunk without
            # one cannot end it: set it aside, to be joined once, when the line ends.
            if chunk and b"\n" not in chunk:
                self._check_header_size(self._scanned + len(chunk))
                self._pieces.append(chunk)
                self._scanned += len(chunk)
                return
            if self._pieces:
                self._buffer = b"".join([self._buffer, *self._pieces])
                self._pieces = []
        buffer = self._buffer + chunk if self._buffer else chunk
        self._buffer = b""
        pos = 0
        end = len(buffer)
        while True:
            state = self._state
            if state == _BODY:
                at = buffer.find(self._delimiter, pos)
                if at < 0:
                    if final:
                        raise _ended("closing boundary")
                    keep = self._partial_delimiter(buffer, pos)
                    if keep > pos:
                        yield buffer[pos:keep] if pos or keep < end else buffer
                    self._buffer = buffer[keep:]
                    return
                if at > pos:
                    yield buffer[pos:at]
                yield None
                pos = self._on_boundary(at + len(self._delimiter))
            elif state == _LINE:
                pos = self._boundary_line(buffer, pos, final)
                if pos < 0:
                    return
            elif state == _HEADERS:
                start = pos
                if self._scanned:
                    start = pos + self._scanned - 1  # a CR may end the carried bytes
                    self._scanned = 0
                line_end = buffer.find(_CRLF, start)
                if line_end < 0:
                    # A lone CR may begin the empty line that ends the headers, which
                    # does not count toward the limit: count it once its line is known.
                    carried = 0 if end - pos == 1 and buffer[pos] == 0x0D else end - pos
                    self._check_header_bytes(buffer, pos, start, end, carried)
                    if final:
                        raise _ended("closing boundary")
                    self._buffer = buffer[pos:]
                    self._scanned = end - pos
                    return
                if line_end == pos:
                    self._state = _BODY
                    headers, self._headers = self._headers, []
                    yield headers
                else:
                    self._check_header_bytes(buffer, pos, start, line_end, line_end + 2 - pos)
                    self._header_line(buffer[pos:line_end])
                pos = line_end + 2
            elif state == _PREAMBLE:
                pos = self._preamble(buffer, pos, final)
                if pos < 0:
                    return
            else:  # _DONE: the epilogue is never read
                return

    def _preamble(self, buffer: bytes, pos: int, final: bool) -> int:
        # The first "--boundary", wherever it is: it must start a line; any other one is
        # refused (RFC 2046 §5.1.1), so that no part is ever skipped as if it were
        # preamble.
        dash = self._dash
        at = buffer.find(dash, max(pos, 2))
        if at < 0:
            if final:
                raise _ended("first boundary")
            # Keep the bytes that may start a dash-boundary, and the two before them.
            keep = max(pos, len(buffer) - len(dash) - 1)
            self._seen += keep
            self._buffer = buffer[keep:]
            # No "--boundary" can start before the body's byte self._seen any more.
            if self._seen > self._max_preamble:
                raise self._preamble_too_long()
            return -1
        preamble = self._seen + at - 2  # bytes of the real body before "--boundary"
        if preamble > self._max_preamble:
            raise self._preamble_too_long()
        if buffer[at - 2 : at] != _CRLF:
            raise _malformed("the first boundary does not start a line")
        return self._on_boundary(at + len(dash))

    def _on_boundary(self, after: int) -> int:
        self._state = _LINE
        self._closing = None
        self._padding = 0
        return after

    def _boundary_line(self, buffer: bytes, pos: int, final: bool) -> int:
        """Read the rest of a boundary line from ``pos``: where the next part's headers
        start, or ``-1`` when the bytes that tell are still to come or the form closed.

        ``delimiter transport-padding CRLF`` opens a part; ``delimiter "--"
        transport-padding`` then CRLF or the end of the body closes the form."""
        size = len(buffer)
        if self._closing is None:
            if size - pos < 2 and b"--".startswith(buffer[pos:]):
                if final:
                    raise _ended("closing boundary")
                self._buffer = buffer[pos:]
                return -1
            self._closing = buffer.startswith(b"--", pos)
            if self._closing:
                pos += 2
        end = _skip_padding(buffer, pos)
        self._padding += end - pos
        if self._padding > self._max_size:
            raise _malformed(
                f"more than {self._max_size} bytes of padding after a boundary",
                hint=f"max_part_header_size={self._max_size}",
            )
        if buffer.startswith(_CRLF, end):
            return self._after_line(end + 2)
        if end == size or (end + 1 == size and buffer[end] == 0x0D):
            if final:
                if self._closing and end == size:
                    return self._after_line(end)
                raise _ended("closing boundary")
            self._buffer = buffer[end:]
            return -1
        what = "the closing boundary" if self._closing else "a boundary"
        raise _malformed(f"unexpected bytes after {what}")

    def _after_line(self, after: int) -> int:
        if self._closing:
            self._state = _DONE
            self._chunks.clear()  # the epilogue
            return -1
        self._state = _HEADERS
        self._size = 0
        self._count = 0
        return after

    def _preamble_too_long(self) -> InvalidFormError:
        limit = self._max_preamble
        return _malformed(
            f"no boundary in the first {limit} bytes", hint=f"{self._preamble_option}={limit}"
        )

    def _partial_delimiter(self, buffer: bytes, pos: int) -> int:
        # A delimiter holds one CR, its first byte: only the last CR can start one.
        at = buffer.rfind(b"\r", max(pos, len(buffer) - len(self._delimiter) + 1))
        if at >= 0 and self._delimiter.startswith(buffer[at:]):
            return at
        return len(buffer)

    def _check_header_bytes(
        self, buffer: bytes, pos: int, start: int, stop: int, size: int
    ) -> None:
        """Check the header line ``buffer[pos:stop]`` (``size`` bytes of it count toward
        the limit) in byte order, so that every split of the body gives the same error:
        a bare LF before the limit is crossed is reported as one, else the limit. Bytes
        before ``start`` were carried over and hold no LF."""
        lf = buffer.find(b"\n", start, stop)
        if lf >= 0 and lf - pos < self._max_size - self._size:
            raise _bare_lf()
        self._check_header_size(size)
        if lf >= 0:
            raise _bare_lf()

    def _check_header_size(self, size: int) -> None:
        if self._size + size > self._max_size:
            raise _part_headers_too_large(self._max_size)

    def _header_line(self, line: bytes) -> None:
        if b"\n" in line:
            raise _bare_lf()
        self._size += len(line) + 2
        headers = self._headers
        if line[0] in _PADDING:
            # obs-fold (RFC 9110 §5.5): a continuation of the previous header's value.
            if not headers or line.isspace():
                raise _malformed("a part header line starts with a space")
            name, value = headers.pop()
            headers.append((name, value + " " + _decode(line).strip(" \t")))
            return
        if len(headers) >= self._max_count:
            limit = self._max_count
            raise ContentTooLargeError(
                f"form part has more than {limit} headers", limit=limit, option="max_part_headers"
            )
        text = _decode(line)
        name, colon, value = text.partition(":")
        if not colon or not _token(name):
            raise _malformed("a part header line is not 'Name: value'")
        headers.append((name.title(), value.strip(" \t")))

    def _fail(self) -> None:
        self._raw = None
        self._buffer = b""
        self._pieces = []
        self._chunks.clear()
        self._state = _FAILED

    def _unusable(self, action: str) -> StateError:
        if self._state == _FAILED:
            return StateError(f"cannot {action}: the multipart parser failed or was closed")
        return StateError(f"cannot {action}: feed_eof() was called")


def _check_boundary(boundary: str | bytes, limit: int) -> bytes:
    if isinstance(boundary, str):
        if not boundary.isascii():
            raise InvalidFormError("the multipart boundary is not ASCII")
        boundary = boundary.encode("ascii")
    if not boundary:
        raise InvalidFormError("the multipart boundary is empty")
    if len(boundary) > limit:
        raise InvalidFormError(
            f"the multipart boundary is longer than {limit} characters",
            hint=f"max_boundary_length={limit}",
        )
    if not _BOUNDARY_CHARS.issuperset(boundary):
        raise InvalidFormError("the multipart boundary holds control characters")
    return boundary


def _skip_padding(buffer: bytes, pos: int) -> int:
    match = _padding(buffer, pos)  # one C-level pass; "[ \t]*" always matches
    return pos if match is None else match.end()


def _ended(what: str) -> InvalidFormError:
    return _malformed(f"the body ended before the {what}")


def _bare_lf() -> InvalidFormError:
    return _malformed("a part header line holds a bare LF")


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEncodingError("a form part header is not valid UTF-8") from None


# -- a part's headers -----------------------------------------------------------------------

_bad_header_char = re.compile("[\r\n\x00]").search

# RFC 7578 §4.7: Content-Transfer-Encoding is deprecated for form-data; only the
# identity encodings are accepted, so no part is ever decoded (Django CVE-2022-23833).
_IDENTITY_ENCODINGS: Final = frozenset(["7bit", "8bit", "binary"])


def _part_start(header_lines: list[tuple[str, str]]) -> PartStart:
    # The header section's size and count were bounded line by line by the framing.
    headers: MultiValueDict[str] = MultiValueDict()
    for name, value in header_lines:
        if _bad_header_char(value):
            # RFC 9110 §5.5: a bare CR or LF, or a NUL, never belongs in a field value.
            raise _malformed("a part header holds a bare CR, LF or NUL")
        headers.add(name.lower(), value)
    encoding = headers.get_first("content-transfer-encoding")
    if encoding is not None and encoding.strip().lower() not in _IDENTITY_ENCODINGS:
        raise InvalidFormError(
            "form part with Content-Transfer-Encoding "
            f"{encoding[:40]!r}: RFC 7578 deprecates it; send the bytes as they are"
        )
    disposition = headers.get_first("content-disposition")
    if disposition is None:
        raise _malformed("a part has no Content-Disposition header")
    # One linear parameter scan, asgikit-core's, for every header (CVE-2024-24762,
    # CVE-2026-28356), with the WHATWG rules browsers and curl follow: a backslash is
    # itself, "%22", "%0D", "%0A" stand for '"', CR, LF in the name and filename. Only the
    # plain "name" and "filename" count: RFC 7578 §4.2 forbids "filename*", and a decoy
    # inside another parameter's quoted string is never taken as one.
    parsed = parse_content_disposition(disposition, form_data=True)
    if parsed.type != "form-data":
        raise _malformed(f"a part's Content-Disposition is {parsed.type[:40]!r}, not form-data")
    raw_filename = parsed.filename
    filename = None if raw_filename is None else safe_filename(raw_filename)
    content_type: str | None = None
    charset: str | None = None
    raw_type = headers.get_first("content-type")
    if raw_type is not None:
        content_type, type_params = parse_content_type(raw_type)
        charset = type_params.get("charset")
    return PartStart(parsed.name or "", filename, content_type, charset, headers)
