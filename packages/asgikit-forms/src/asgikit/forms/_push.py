"""A sans-IO push parser for the multipart framing (RFC 2046 §5.1.1), RFC 7578 style.

:meth:`PushParser.parse` takes the next chunk of the body and yields, for each part, its
header lines as ``(Name, value)`` pairs, then zero or more non-empty ``bytes`` of its
data, then ``None`` when it ends. The answer never depends on how the body is split:
every decision is taken on bytes that are all in hand, and only the few bytes that may
begin a delimiter are carried over to the next chunk, so the cost stays linear in the
body whatever it holds.

The grammar, from RFC 2046 §5.1.1::

    multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF body-part
                      *encapsulation close-delimiter transport-padding [CRLF epilogue]
    encapsulation := delimiter transport-padding CRLF body-part
    delimiter := CRLF dash-boundary          dash-boundary := "--" boundary
    transport-padding := *LWSP-char          ; "receivers must be prepared to find it"

A delimiter starts a line, so ``--boundary`` anywhere else is not one. In the preamble
such a stray ``--boundary`` is refused rather than skipped: skipping it would silently
drop the part that follows it. The preamble and the transport padding are bounded by
``max_size`` (the part header limit), counted from the first byte of the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from asgikit.errors import InvalidEncodingError
from asgikit.forms._limits import malformed, part_headers_too_large, too_large

_PREAMBLE: Final = 0
_HEADERS: Final = 1
_BODY: Final = 2
_DONE: Final = 3

_CRLF: Final = b"\r\n"
_PADDING: Final = b" \t"
_token = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch

Event = list[tuple[str, str]] | bytes | None


class PushParser:
    """The multipart framing of one body; feed it with :meth:`parse`, end with :meth:`close`."""

    __slots__ = (
        "_buffer",
        "_count",
        "_dash",
        "_delimiter",
        "_headers",
        "_max_count",
        "_max_size",
        "_seen",
        "_size",
        "_state",
    )

    def __init__(self, boundary: bytes, *, max_size: int, max_count: int) -> None:
        self._dash = b"--" + boundary
        self._delimiter = _CRLF + self._dash
        self._max_size = max_size
        self._max_count = max_count
        # The body as if it began with CRLF, so that a dash-boundary at its very start
        # is a delimiter like any other: in the preamble state, the bytes not yet ruled
        # out, and where they start in that virtual body.
        self._buffer = _CRLF
        self._seen = 0
        self._state = _PREAMBLE
        self._headers: list[tuple[str, str]] = []
        self._size = 0  # bytes of the current part's header section so far
        self._count = 0

    @property
    def complete(self) -> bool:
        """Whether the closing delimiter was read."""
        return self._state == _DONE

    def parse(self, chunk: bytes) -> Iterator[Event]:
        """The events the bytes of ``chunk`` complete; ``b""`` says the body ended (a body
        that ends before its closing delimiter is malformed). Consume them all before
        the next call. Bytes after the closing delimiter (the epilogue) are ignored."""
        if self._state == _DONE:
            return
        final = not chunk
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
                after = self._after_boundary(buffer, at + len(self._delimiter), final)
                if after is None:  # the rest of the boundary line is still to come
                    self._buffer = buffer[at:]
                    return
                yield None
                pos = self._start_part(after)
            elif state == _HEADERS:
                line_end = buffer.find(_CRLF, pos)
                if line_end < 0:
                    self._check_header_size(end - pos)
                    if buffer.find(b"\n", pos) >= 0:
                        raise _bare_lf()
                    if final:
                        raise _ended("closing boundary")
                    self._buffer = buffer[pos:]
                    return
                if line_end == pos:
                    self._state = _BODY
                    headers, self._headers = self._headers, []
                    yield headers
                else:
                    self._check_header_size(line_end + 2 - pos)
                    self._header_line(buffer[pos:line_end])
                pos = line_end + 2
            elif state == _PREAMBLE:
                pos = self._preamble(buffer, pos, final)
                if pos < 0:
                    return
            else:  # _DONE
                return

    def _preamble(self, buffer: bytes, pos: int, final: bool) -> int:
        # The first "--boundary", wherever it is: it must start a line and be a valid
        # boundary line; any other one is refused (RFC 2046 §5.1.1), so that no part is
        # ever skipped as if it were preamble.
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
            if self._seen > self._max_size:
                raise self._preamble_too_long()
            return -1
        preamble = self._seen + at - 2  # bytes of the real body before "--boundary"
        if preamble > self._max_size:
            raise self._preamble_too_long()
        if buffer[at - 2 : at] != _CRLF:
            raise malformed("the first boundary does not start a line")
        after = self._after_boundary(buffer, at + len(dash), final)
        if after is None:
            self._seen += at - 2
            self._buffer = buffer[at - 2 :]
            return -1
        return self._start_part(after)

    def _preamble_too_long(self) -> Exception:
        limit = self._max_size
        return malformed(
            f"no boundary in the first {limit} bytes", hint=f"max_part_header_size={limit}"
        )

    def _after_boundary(self, buffer: bytes, at: int, final: bool) -> int | None:
        """Where the line after a boundary ends: the position after its CRLF, ``-1`` for
        the closing delimiter, or ``None`` if the bytes that tell are still to come.

        ``delimiter transport-padding CRLF`` opens a part; ``delimiter "--"
        transport-padding`` then CRLF or the end of the body closes the form."""
        size = len(buffer)
        closing = buffer.startswith(b"--", at)
        if not closing and size - at < 2 and b"--".startswith(buffer[at:]):
            if final:
                raise _ended("closing boundary")
            return None
        end = at + 2 if closing else at
        while end < size and buffer[end] in _PADDING:
            end += 1
        if end - at > self._max_size:
            raise malformed(f"more than {self._max_size} bytes of padding after a boundary")
        if buffer.startswith(_CRLF, end):
            return -1 if closing else end + 2
        if end == size or (end + 1 == size and buffer[end] == 0x0D):
            if final:
                if closing and end == size:
                    return -1
                raise _ended("closing boundary")
            return None
        what = "the closing boundary" if closing else "a boundary"
        raise malformed(f"unexpected bytes after {what}")

    def _start_part(self, after: int) -> int:
        if after < 0:
            self._state = _DONE
            return 0
        self._state = _HEADERS
        self._size = 0
        self._count = 0
        return after

    def _partial_delimiter(self, buffer: bytes, pos: int) -> int:
        # A delimiter holds one CR, its first byte: only the last CR can start one.
        at = buffer.rfind(b"\r", max(pos, len(buffer) - len(self._delimiter) + 1))
        if at >= 0 and self._delimiter.startswith(buffer[at:]):
            return at
        return len(buffer)

    def _check_header_size(self, size: int) -> None:
        if self._size + size > self._max_size:
            raise part_headers_too_large(self._max_size)

    def _header_line(self, line: bytes) -> None:
        if b"\n" in line:
            raise _bare_lf()
        self._size += len(line) + 2
        headers = self._headers
        if line[0] in _PADDING:
            # obs-fold (RFC 9110 §5.5): a continuation of the previous header's value.
            if not headers or line.isspace():
                raise malformed("a part header line starts with a space")
            name, value = headers.pop()
            headers.append((name, value + " " + _decode(line).strip(" \t")))
            return
        if len(headers) >= self._max_count:
            limit = self._max_count
            raise too_large(f"form part has more than {limit} headers", limit, "max_part_headers")
        text = _decode(line)
        name, colon, value = text.partition(":")
        if not colon or not _token(name):
            raise malformed("a part header line is not 'Name: value'")
        headers.append((name.title(), value.strip(" \t")))

    def close(self) -> None:
        """Drop the buffered bytes; the parser cannot be used any more."""
        self._buffer = b""
        self._state = _DONE


def _ended(what: str) -> Exception:
    return malformed(f"the body ended before the {what}")


def _bare_lf() -> Exception:
    return malformed("a part header line holds a bare LF")


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEncodingError("a form part header is not valid UTF-8") from None
