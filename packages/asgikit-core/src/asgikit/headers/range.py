"""The Range and Content-Range fields (RFC 9110 §14), without regular expressions.

Sans-IO: :func:`parse_range` takes the header text and the representation's size and
returns the byte ranges to send, sorted and merged, or ``None`` when the header is to be
ignored; :func:`content_range` builds the Content-Range of a 206 or 416. The cost is
linear in the header's length whatever it holds, and at most ``max_ranges`` specs are
looked at, so a hostile header costs nothing (Starlette CVE-2025-62727: a quadratic
pattern scan and an O(n²) merge).

New in asgikit-core 0.2 (moved from asgikit-files, which re-exports these names).
"""

from __future__ import annotations

from typing import NamedTuple

from asgikit.errors import RangeNotSatisfiableError

__all__ = ["DEFAULT_MAX_RANGES", "ByteRange", "content_range", "parse_range"]

DEFAULT_MAX_RANGES = 100


class ByteRange(NamedTuple):
    """The bytes ``first`` to ``last`` of a representation, both included (RFC 9110
    ``first-pos`` and ``last-pos``)."""

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1


def _digits(text: str) -> str | None:
    """The significant digits of ``1*DIGIT`` in ASCII (``"0"`` for zero), or ``None``.

    ``str.isdigit`` alone accepts "²" and Arabic-Indic digits, hence ``isascii``. The
    digits are kept as text: a hostile position may have thousands of them, and turning
    it into an int whole would cost time (and trip Python's int-from-str digit limit).
    """
    if not text or not text.isascii() or not text.isdigit():
        return None
    return text.lstrip("0") or "0"


def _before(a: str, b: str) -> bool:
    """``int(a) < int(b)`` for significant digit strings, in time linear in their length."""
    return len(a) < len(b) or (len(a) == len(b) and a < b)


def _value(digits: str, size: int) -> int:
    """The position ``digits`` stands for, exact up to ``size``; a position with more
    digits than ``size`` is past it, and any such value acts alike here (a first-pos
    unsatisfiable, a last-pos clamped, a suffix the whole representation), so
    ``size + 1`` stands for all of them. ``size`` is at least 1 in that comparison, so
    a huge suffix on an empty representation stays non-zero."""
    if len(digits) > len(str(size)):
        return size + 1
    return int(digits)


def _invalid(size: int, item: str) -> RangeNotSatisfiableError:
    shown = item if len(item) <= 40 else item[:40] + "..."
    return RangeNotSatisfiableError(f"invalid range {shown!r} in the Range header", size=size)


def parse_range(
    value: str, size: int, *, max_ranges: int = DEFAULT_MAX_RANGES
) -> list[ByteRange] | None:
    """The ranges a ``Range`` header asks of a representation of ``size`` bytes.

    Returns the satisfiable ranges, clamped to the representation, sorted, with
    overlapping and adjacent ones merged (RFC 9110 §14.3 lets a server coalesce them), so
    they never add up to more than ``size`` bytes. Returns ``None`` when the header is
    to be ignored and the whole representation sent with 200: a range unit other than
    ``bytes`` (§14.2: "MUST ignore"), or more than ``max_ranges`` range specs (§14.2
    lets a server ignore a Range header; 100 is Starlette's cap after CVE-2025-62727).

    Raises :class:`~asgikit.errors.RangeNotSatisfiableError` (416) when a spec does not
    follow the grammar (``bytes=5-4``, ``bytes=a-b``, ``bytes=``) or when no spec
    overlaps the representation (``bytes=100-`` of 100 bytes, ``bytes=-0``): §14.2,
    "the specified range(s) are invalid or unsatisfiable, the server SHOULD send a 416".

    Grammar (RFC 9110 §14.1.1)::

        ranges-specifier = range-unit "=" range-set
        range-set        = 1#range-spec
        range-spec       = int-range / suffix-range / other-range
        int-range        = first-pos "-" [ last-pos ]
        suffix-range     = "-" suffix-length
    """
    unit, equals, range_set = value.partition("=")
    if not equals or unit.strip(" \t").lower() != "bytes":
        return None
    found: list[tuple[int, int]] = []
    specs = 0
    empty_suffix = False  # a suffix range on a zero-length representation
    end = len(range_set)
    pos = 0
    while pos <= end:
        comma = range_set.find(",", pos)
        if comma < 0:
            comma = end
        item = range_set[pos:comma].strip(" \t")
        pos = comma + 1
        if not item:
            continue  # RFC 9110 §5.6.1: empty list elements are allowed and ignored
        specs += 1
        if specs > max_ranges:
            return None
        dash = item.find("-")
        if dash < 0:
            raise _invalid(size, item)
        if dash == 0:
            suffix_digits = _digits(item[1:])
            if suffix_digits is None:
                raise _invalid(size, item)
            suffix = _value(suffix_digits, size)
            if suffix == 0:
                continue  # §14.1.1: only a non-zero suffix-length is satisfiable
            if size == 0:
                empty_suffix = True
                continue
            found.append((max(0, size - suffix), size - 1))
            continue
        first_digits = _digits(item[:dash])
        if first_digits is None:
            raise _invalid(size, item)
        first = _value(first_digits, size)
        last_text = item[dash + 1 :]
        if last_text:
            last_digits = _digits(last_text)
            # §14.1.1: "A range-spec is invalid if the last-pos value is present and
            # less than the first-pos." Compared exactly, however many digits.
            if last_digits is None or _before(last_digits, first_digits):
                raise _invalid(size, item)
            last = min(_value(last_digits, size), size - 1)
        else:
            last = size - 1
        if first < size:
            found.append((first, last))
    if specs == 0:
        raise _invalid(size, value)
    if not found:
        if empty_suffix:
            # §14.1.1: on an empty representation a suffix range is satisfiable, yet no
            # Content-Range can describe zero bytes; the whole (empty) 200 answers it.
            return None
        raise RangeNotSatisfiableError(
            f"no range of the Range header overlaps the {size} bytes of the representation",
            size=size,
        )
    found.sort()
    merged: list[ByteRange] = []
    start, stop = found[0]
    for first, last in found[1:]:
        if first <= stop + 1:
            if last > stop:
                stop = last
        else:
            merged.append(ByteRange(start, stop))
            start, stop = first, last
    merged.append(ByteRange(start, stop))
    return merged


def content_range(byte_range: ByteRange | None, size: int) -> str:
    """The ``Content-Range`` value for ``byte_range`` of a representation of ``size``
    bytes: ``bytes 0-499/1234`` in a 206 (or a part of a multipart/byteranges), and
    ``bytes */1234`` for ``None``, the value of a 416 (RFC 9110 §14.4:
    ``unsatisfied-range = "*/" complete-length``). Raises :class:`ValueError` for a
    range that is not within the representation."""
    if type(size) is not int or size < 0:
        raise ValueError(f"size must be an int >= 0, not {size!r}")
    if byte_range is None:
        return f"bytes */{size}"
    first, last = byte_range
    if not 0 <= first <= last < size:
        raise ValueError(f"range {first}-{last} is not within {size} bytes")
    return f"bytes {first}-{last}/{size}"
