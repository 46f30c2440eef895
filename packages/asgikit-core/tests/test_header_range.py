"""The Range parser: tables (RFC 9110 §14 examples included) and properties."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.errors import RangeNotSatisfiableError
from asgikit.headers.range import ByteRange, content_range, parse_range

R = ByteRange
ScanCost = Callable[[Callable[[str], object], str], int]

# RFC 9110 §14.1.2 examples, on a representation of 10000 bytes.
RFC_EXAMPLES = [
    ("bytes=0-499", [R(0, 499)]),  # the first 500 bytes
    ("bytes=500-999", [R(500, 999)]),  # the second 500 bytes
    ("bytes=-500", [R(9500, 9999)]),  # the final 500 bytes (suffix)
    ("bytes=9500-", [R(9500, 9999)]),  # the final 500 bytes (open)
    ("bytes=0-0,-1", [R(0, 0), R(9999, 9999)]),  # the first and last bytes only
    ("bytes= 0-999, 4500-5499, -1000", [R(0, 999), R(4500, 5499), R(9000, 9999)]),
    ("bytes=500-600,601-999", [R(500, 999)]),  # adjacent: merged
    ("bytes=500-700,601-999", [R(500, 999)]),  # overlapping: merged
]


@pytest.mark.parametrize(("header", "expected"), RFC_EXAMPLES)
def test_rfc_examples(header: str, expected: list[ByteRange]) -> None:
    assert parse_range(header, 10000) == expected


CASES = [
    # (header, size, expected ranges)
    ("bytes=0-", 100, [R(0, 99)]),
    ("bytes=0-0", 100, [R(0, 0)]),
    ("bytes=99-", 100, [R(99, 99)]),
    ("bytes=0-1000", 100, [R(0, 99)]),  # last-pos clamped
    ("bytes=-1000", 100, [R(0, 99)]),  # suffix longer than the file: all of it (Starlette #3388)
    ("bytes=-100", 100, [R(0, 99)]),
    ("bytes=-1", 100, [R(99, 99)]),
    ("Bytes=1-2", 100, [R(1, 2)]),  # the unit is case-insensitive
    ("bytes=1-2,,", 100, [R(1, 2)]),  # empty list elements are allowed
    ("bytes=,1-2", 100, [R(1, 2)]),
    ("bytes=5-9,0-4", 100, [R(0, 9)]),  # sorted, then adjacent merged
    ("bytes=50-59,0-9", 100, [R(0, 9), R(50, 59)]),
    ("bytes=0-9,0-9,0-9", 100, [R(0, 9)]),
    ("bytes=0-50,10-20", 100, [R(0, 50)]),  # contained range
    ("bytes=0-10,200-300", 100, [R(0, 10)]),  # an unsatisfiable spec is dropped
    ("bytes=-0,5-6", 100, [R(5, 6)]),
    ("bytes=0-" + "9" * 5000, 100, [R(0, 99)]),  # a huge last-pos is clamped, not parsed whole
    ("bytes=-" + "9" * 5000, 100, [R(0, 99)]),
    # Leading zeros do not make a position large: only its significant digits count.
    ("bytes=0-0000000000000000000005", 100, [R(0, 5)]),
    ("bytes=0000000000000000000005-9", 100, [R(5, 9)]),
    ("bytes=-00000000000000000000001", 100, [R(99, 99)]),
    ("bytes=00000000000000000000000-", 100, [R(0, 99)]),
    ("bytes=-00000000000000000000000,5-6", 100, [R(5, 6)]),
    ("bytes=" + "0" * 5000 + "1-" + "0" * 5000 + "2", 100, [R(1, 2)]),
    # Huge positions in order: valid, and past the end of the file.
    ("bytes=0-,10000000000000000000-20000000000000000000", 100, [R(0, 99)]),
    ("bytes=0-4,20000000000000000000-20000000000000000000", 100, [R(0, 4)]),
    # Files larger than 18 digits of bytes are not expected, but positions stay exact.
    ("bytes=9223372036854775800-", 2**63 - 1, [R(2**63 - 8, 2**63 - 2)]),
    ("bytes=10000000000000000000-10000000000000000005", 10**20, [R(10**19, 10**19 + 5)]),
    ("bytes=-10000000000000000000", 10**20, [R(9 * 10**19, 10**20 - 1)]),
    ("bytes=99999999999999999999-", 10**20, [R(10**20 - 1, 10**20 - 1)]),
]


@pytest.mark.parametrize(("header", "size", "expected"), CASES)
def test_satisfiable(header: str, size: int, expected: list[ByteRange]) -> None:
    assert parse_range(header, size) == expected


IGNORED = [
    ("items=0-5", 100),  # unknown unit: MUST ignore
    ("0-5", 100),  # no unit at all
    ("", 100),
    ("bytes", 100),
    ("bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(101)), 1000),  # 101 > max_ranges
    ("bytes=-5", 0),  # a suffix on an empty file: the empty whole
    ("bytes=-100000000000000000000", 0),  # however long
]


@pytest.mark.parametrize(("header", "size"), IGNORED)
def test_ignored(header: str, size: int) -> None:
    assert parse_range(header, size) is None


UNSATISFIABLE = [
    ("bytes=100-", 100),  # first-pos at the end
    ("bytes=100-200", 100),
    ("bytes=" + "9" * 5000 + "-", 100),  # beyond any file, and not parsed whole
    ("bytes=-0", 100),  # zero-length suffix
    ("bytes=0-", 0),  # nothing in an empty file
    ("bytes=5-4", 100),  # inverted: invalid (Starlette #3388 answered 206 with length 0)
    ("bytes=0--1", 100),
    ("bytes=a-b", 100),
    ("bytes=1-2-3", 100),
    ("bytes=--5", 100),
    ("bytes=5", 100),  # no dash
    ("bytes=-", 100),
    ("bytes=", 100),  # an empty range-set
    ("bytes=,,", 100),
    ("bytes=+1-2", 100),
    ("bytes=1 - 2", 100),  # no whitespace inside a spec
    ("bytes=0x1-2", 100),
    ("bytes=\u00b9-2", 100),  # "¹".isdigit() is True: ASCII digits only
    ("bytes=\u0661-2", 100),  # Arabic-Indic one
    ("bytes=0-1,5-4", 100),  # one invalid spec spoils the header
    ("bytes=" + "1" * 50_000, 100),  # Starlette CVE-2025-62727 (a): digits without '-'
    # Inverted huge positions are invalid too, however many digits they have (issue 10).
    ("bytes=0-,20000000000000000000-10000000000000000000", 100),
    ("bytes=20000000000000000000-10000000000000000000", 100),
    ("bytes=10000000000000000001-10000000000000000000", 100),  # same length, one apart
    ("bytes=" + "9" * 5000 + "-" + "9" * 4999, 100),
    ("bytes=" + "2" + "0" * 30 + "-" + "0" * 40 + "1" + "0" * 30, 100),  # zeros in front
    ("bytes=20-0000000000000000000000000019", 100),
    ("bytes=10000000000000000000-" + "9" * 19, 10**20),
    ("bytes=-00000000000000000000000", 0),  # a zero suffix, however written
]


@pytest.mark.parametrize(("header", "size"), UNSATISFIABLE)
def test_unsatisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiableError) as info:
        parse_range(header, size)
    assert info.value.size == size
    assert info.value.status_code == 416
    assert len(str(info.value)) < 200  # a hostile header is not echoed whole


def test_max_ranges_is_an_option() -> None:
    header = "bytes=0-0,2-2,4-4"
    assert parse_range(header, 10, max_ranges=2) is None
    assert parse_range(header, 10, max_ranges=3) == [R(0, 0), R(2, 2), R(4, 4)]


@pytest.mark.parametrize(
    "build",
    [
        lambda n: "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(n)),  # disjoint
        lambda n: "bytes=" + "1-" * n,  # digit-and-dash noise
        lambda n: "bytes=" + "," * n + "0-0",  # empty list elements
        lambda n: "bytes=" + "0" * n + "1-" + "0" * n + "2",  # zeros in front
        lambda n: "bytes=" + " " * n + "0-0",
    ],
    ids=["disjoint", "noise", "commas", "zeros", "spaces"],
)
def test_hostile_headers_cost_is_linear(build: Callable[[int], str], scan_cost: ScanCost) -> None:
    """CVE-2025-62727: thousands of ranges and pages of noise. Counted, not timed: the
    characters examined per character of input may not grow with the input (a
    quadratic step makes them grow eightfold here)."""

    def parse(header: str) -> None:
        with contextlib.suppress(RangeNotSatisfiableError):
            parse_range(header, 1 << 30)

    per_char = [scan_cost(parse, text) / len(text) for text in map(build, (2_000, 16_000))]
    assert per_char[1] <= 1.25 * per_char[0], per_char


def test_hundred_ranges_merge_in_sorted_order() -> None:
    header = "bytes=" + ",".join(f"{i}-{i}" for i in reversed(range(0, 200, 2)))
    ranges = parse_range(header, 1000)
    assert ranges == [R(i, i) for i in range(0, 200, 2)]


# -- properties -----------------------------------------------------------------------

spec = st.one_of(
    st.tuples(st.integers(0, 300), st.one_of(st.none(), st.integers(0, 300))).map(
        lambda t: f"{t[0]}-" if t[1] is None else f"{t[0]}-{t[1]}"
    ),
    st.integers(0, 300).map(lambda n: f"-{n}"),
)


def covered(header_specs: list[str], size: int) -> set[int]:
    """The bytes the specs ask for, computed naively from the RFC's definitions."""
    wanted: set[int] = set()
    for item in header_specs:
        first_text, _, last_text = item.partition("-")
        if not first_text:
            wanted.update(range(max(0, size - int(last_text)), size))
        else:
            last = int(last_text) if last_text else size - 1
            wanted.update(range(int(first_text), min(last, size - 1) + 1))
    return wanted


@given(st.lists(spec, min_size=1, max_size=30), st.integers(0, 400))
def test_merged_ranges_cover_exactly_the_requested_bytes(specs: list[str], size: int) -> None:
    header = "bytes=" + ",".join(specs)
    invalid = any(
        s.partition("-")[0]
        and s.partition("-")[2]
        and int(s.partition("-")[2]) < int(s.partition("-")[0])
        for s in specs
    )
    try:
        ranges = parse_range(header, size)
    except RangeNotSatisfiableError:
        assert invalid or not covered(specs, size)
        return
    assert not invalid
    if ranges is None:
        assert size == 0
        return
    got: set[int] = set()
    previous_last = -2
    for r in ranges:
        assert 0 <= r.first <= r.last < size
        assert r.first > previous_last + 1  # sorted, disjoint, not adjacent
        previous_last = r.last
        got.update(range(r.first, r.last + 1))
    assert got == covered(specs, size)
    assert sum(r.length for r in ranges) <= size


@given(st.text(max_size=300), st.integers(0, 10**12))
def test_never_raises_anything_but_our_error(header: str, size: int) -> None:
    try:
        result = parse_range(header, size)
    except RangeNotSatisfiableError:
        return
    if result is not None:
        assert result and all(0 <= r.first <= r.last < size for r in result)


@given(st.text(alphabet="bytes=0123456789-, \t", max_size=300), st.integers(0, 5000))
def test_never_raises_on_range_like_noise(header: str, size: int) -> None:
    try:
        result = parse_range(header, size)
    except RangeNotSatisfiableError:
        return
    if result is not None:
        assert all(0 <= r.first <= r.last < size for r in result)


# -- model: the RFC grammar with Python's unbounded ints ----------------------------

_INT_RANGE = re.compile(r"([0-9]+)-([0-9]*)", re.ASCII)
_SUFFIX_RANGE = re.compile(r"-([0-9]+)", re.ASCII)


def _exact(digits: str) -> int:
    """The int a digit string stands for, however long (the table has 5000 digits)."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return int(digits)
    finally:
        sys.set_int_max_str_digits(limit)


def reference_parse(value: str, size: int, max_ranges: int = 100) -> list[ByteRange] | None:
    """RFC 9110 §14.1-14.2 read literally, every position an exact int, and the answer
    built byte run by byte run: what ``parse_range`` must agree with."""
    unit, equals, range_set = value.partition("=")
    if not equals or unit.strip(" \t").lower() != "bytes":
        return None
    specs = [item.strip(" \t") for item in range_set.split(",")]
    specs = [item for item in specs if item]  # §5.6.1: empty list elements are ignored
    if not specs:
        raise RangeNotSatisfiableError("empty range-set", size=size)
    wanted: list[tuple[int, int]] = []
    suffix_on_empty = False
    for count, item in enumerate(specs, 1):
        if count > max_ranges:
            return None
        if match := _INT_RANGE.fullmatch(item):
            first = _exact(match[1])
            last = _exact(match[2]) if match[2] else None
            if last is not None and last < first:  # §14.1.1: invalid
                raise RangeNotSatisfiableError("invalid", size=size)
            if first < size:  # §14.1.1: satisfiable when first-pos < length
                wanted.append((first, size - 1 if last is None else min(last, size - 1)))
        elif match := _SUFFIX_RANGE.fullmatch(item):
            length = _exact(match[1])
            if length > 0:  # §14.1.1: satisfiable when suffix-length is non-zero
                if size == 0:
                    suffix_on_empty = True
                else:
                    wanted.append((max(0, size - length), size - 1))
        else:
            raise RangeNotSatisfiableError("invalid", size=size)
    if not wanted:
        if suffix_on_empty:
            return None
        raise RangeNotSatisfiableError("unsatisfiable", size=size)
    # Maximal runs of the union: a run ends where no wanted range covers the next byte.
    runs: list[ByteRange] = []
    for first, last in sorted(wanted):
        if runs and first <= runs[-1].last + 1:
            runs[-1] = ByteRange(runs[-1].first, max(runs[-1].last, last))
        else:
            runs.append(ByteRange(first, last))
    return runs


def _outcome(value: str, size: int) -> object:
    try:
        return parse_range(value, size)
    except RangeNotSatisfiableError as exc:
        return (RangeNotSatisfiableError, exc.size)


def _reference_outcome(value: str, size: int) -> object:
    try:
        return reference_parse(value, size)
    except RangeNotSatisfiableError:
        return (RangeNotSatisfiableError, size)


# Positions: small ones, ones near 2**63 and 10**18, and huge ones, with leading zeros.
_number = st.one_of(
    st.integers(0, 300),
    st.integers(10**17, 10**20),
    st.integers(2**63 - 300, 2**63 + 300),
    st.integers(0, 10**40),
)
_digits = st.builds(
    lambda zeros, n: "0" * zeros + str(n), st.sampled_from([0, 0, 0, 1, 20]), _number
)
_model_spec = st.one_of(
    st.builds(lambda a, b: f"{a}-{b}", _digits, _digits),
    st.builds(lambda a: f"{a}-", _digits),
    st.builds(lambda b: f"-{b}", _digits),
    st.sampled_from(["", "-", "5", "a-b", "1-2-3", " 1-2", "1-2\t", "--1"]),
)
_sizes = st.one_of(st.integers(0, 400), st.integers(10**18 - 5, 10**18 + 5), st.integers(0, 10**21))


@given(st.lists(_model_spec, min_size=0, max_size=8), _sizes)
def test_model_random_specs(specs: list[str], size: int) -> None:
    header = "bytes=" + ",".join(specs)
    assert _outcome(header, size) == _reference_outcome(header, size)


@given(_digits, _digits, st.booleans(), _sizes)
def test_model_one_int_range_beside_an_open_one(
    first: str, last: str, open_first: bool, size: int
) -> None:
    """The issue's shape: a valid ``0-`` beside a range whose order decides everything."""
    header = f"bytes=0-,{first}-{last}" if open_first else f"bytes={first}-{last},0-"
    assert _outcome(header, size) == _reference_outcome(header, size)
    if int(last) < int(first):
        assert _outcome(header, size) == (RangeNotSatisfiableError, size)


@pytest.mark.parametrize(("header", "size", "expected"), CASES)
def test_model_agrees_with_the_tables(header: str, size: int, expected: list[ByteRange]) -> None:
    assert reference_parse(header, size) == expected


# -- Content-Range -----------------------------------------------------------------------


def test_content_range() -> None:
    assert content_range(R(0, 499), 1234) == "bytes 0-499/1234"  # RFC 9110 §14.4
    assert content_range(R(1233, 1233), 1234) == "bytes 1233-1233/1234"
    assert content_range(None, 1234) == "bytes */1234"  # a 416
    assert content_range(None, 0) == "bytes */0"


@pytest.mark.parametrize(
    ("byte_range", "size"),
    [(R(0, 10), 10), (R(5, 4), 10), (R(-1, 3), 10), (R(0, 0), 0), (None, -1)],
)
def test_content_range_refuses_a_range_outside_the_representation(
    byte_range: ByteRange | None, size: int
) -> None:
    with pytest.raises(ValueError, match=r"size|within"):
        content_range(byte_range, size)


@given(st.lists(spec, min_size=1, max_size=10), st.integers(1, 400))
def test_every_parsed_range_has_a_content_range_that_reads_back(
    specs: list[str], size: int
) -> None:
    with contextlib.suppress(RangeNotSatisfiableError):
        for found in parse_range("bytes=" + ",".join(specs), size) or []:
            first, last = content_range(found, size).removeprefix("bytes ").split("/")[0].split("-")
            assert parse_range(f"bytes={first}-{last}", size) == [found]
