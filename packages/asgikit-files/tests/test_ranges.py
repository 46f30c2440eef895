"""The Range parser: tables (RFC 9110 §14 examples included) and properties."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.errors import RangeNotSatisfiableError
from asgikit.files import ByteRange, parse_range

R = ByteRange

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


def test_hostile_headers_cost_nothing() -> None:
    """CVE-2025-62727: 10,000 disjoint ranges and 50 KB of digit-and-dash noise."""
    disjoint = "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(10_000))
    noise = "bytes=" + "1-" * 25_000
    start = time.perf_counter()
    for _ in range(10):
        assert parse_range(disjoint, 1 << 30) is None
        with pytest.raises(RangeNotSatisfiableError):
            parse_range(noise, 1 << 30)
    assert time.perf_counter() - start < 1.0  # in fact well under 10 ms per pair


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
