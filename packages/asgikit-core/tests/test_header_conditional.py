"""Preconditions (RFC 9110 §13) as a table, If-Range, entity tags and HTTP dates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.headers.conditional import (
    EntityTag,
    evaluate_preconditions,
    format_http_date,
    if_range_allows,
    parse_entity_tag,
    parse_entity_tags,
    parse_http_date,
    strong_match,
    weak_match,
)

ScanCost = Callable[[Callable[[str], object], str], int]

ETAG = '"abc"'
MTIME = 784111777  # Sun, 06 Nov 1994 08:49:37 GMT
SAME = "Sun, 06 Nov 1994 08:49:37 GMT"
BEFORE = "Sun, 06 Nov 1994 08:49:36 GMT"
AFTER = "Sun, 06 Nov 1994 08:49:38 GMT"

# (method, headers, expected)
TABLE: list[tuple[str, dict[str, str], int | None]] = [
    ("GET", {}, None),
    # If-None-Match: weak comparison, "*", lists with commas inside tags
    ("GET", {"if_none_match": '"abc"'}, 304),
    ("GET", {"if_none_match": 'W/"abc"'}, 304),  # W/ ignored (Starlette #2298)
    ("HEAD", {"if_none_match": '"abc"'}, 304),
    ("GET", {"if_none_match": '"x", "abc"'}, 304),
    ("GET", {"if_none_match": '"x,y", W/"abc"'}, 304),
    ("GET", {"if_none_match": "*"}, 304),
    ("GET", {"if_none_match": '"abcd"'}, None),
    ("GET", {"if_none_match": '"ab"'}, None),
    ("GET", {"if_none_match": "abc"}, None),  # unquoted: not an entity tag
    ("GET", {"if_none_match": '"abc'}, None),  # unterminated
    ("POST", {"if_none_match": '"abc"'}, 412),  # unsafe methods get 412, not 304
    ("PUT", {"if_none_match": "*"}, 412),
    # If-Modified-Since
    ("GET", {"if_modified_since": SAME}, 304),
    ("GET", {"if_modified_since": AFTER}, 304),
    ("GET", {"if_modified_since": BEFORE}, None),
    ("GET", {"if_modified_since": "not a date"}, None),  # invalid: ignored
    ("POST", {"if_modified_since": SAME}, None),  # only GET and HEAD
    ("HEAD", {"if_modified_since": "Sunday, 06-Nov-94 08:49:37 GMT"}, 304),
    ("GET", {"if_modified_since": "Sun Nov  6 08:49:37 1994"}, 304),
    # If-Modified-Since ignored when If-None-Match is present (Starlette #3052)
    ("GET", {"if_none_match": '"stale"', "if_modified_since": AFTER}, None),
    ("GET", {"if_none_match": '"abc"', "if_modified_since": BEFORE}, 304),
    # If-Match: strong comparison
    ("GET", {"if_match": '"abc"'}, None),
    ("GET", {"if_match": '"x", "abc"'}, None),
    ("GET", {"if_match": "*"}, None),
    ("GET", {"if_match": 'W/"abc"'}, 412),  # a weak tag never matches strongly
    ("GET", {"if_match": '"x"'}, 412),
    ("PUT", {"if_match": '"x"'}, 412),
    ("GET", {"if_match": ""}, 412),
    # If-Unmodified-Since
    ("GET", {"if_unmodified_since": SAME}, None),
    ("GET", {"if_unmodified_since": AFTER}, None),
    ("GET", {"if_unmodified_since": BEFORE}, 412),
    ("GET", {"if_unmodified_since": "garbage"}, None),
    # If-Unmodified-Since ignored when If-Match is present (§13.2.2 step 2)
    ("GET", {"if_match": '"abc"', "if_unmodified_since": BEFORE}, None),
    # Order: If-Match (412) is decided before If-None-Match (304)
    ("GET", {"if_match": '"x"', "if_none_match": '"abc"'}, 412),
    ("GET", {"if_unmodified_since": BEFORE, "if_none_match": '"abc"'}, 412),
    ("GET", {"if_match": '"abc"', "if_none_match": '"abc"'}, 304),
    ("GET", {"if_match": '"abc"', "if_modified_since": SAME}, 304),
]


@pytest.mark.parametrize(("method", "headers", "expected"), TABLE)
def test_precondition_table(method: str, headers: dict[str, Any], expected: int | None) -> None:
    assert evaluate_preconditions(method, etag=ETAG, last_modified=MTIME, **headers) == expected


def test_weak_current_etag_never_satisfies_if_match() -> None:
    assert (
        evaluate_preconditions("GET", etag='W/"abc"', if_match='"abc"', last_modified=None) == 412
    )
    assert (
        evaluate_preconditions("GET", etag='W/"abc"', if_none_match='"abc"', last_modified=None)
        == 304
    )


def test_without_validators_dates_are_ignored() -> None:
    assert (
        evaluate_preconditions("GET", etag=None, last_modified=None, if_modified_since=SAME) is None
    )
    assert evaluate_preconditions("GET", etag=None, last_modified=None, if_none_match='"a"') is None
    assert evaluate_preconditions("GET", etag=None, last_modified=None, if_match='"a"') == 412


IF_RANGE = [
    ('"abc"', True),
    ('W/"abc"', False),  # If-Range needs a strong match
    ('"abd"', False),
    ('"abc", "abc"', False),  # one entity tag, not a list
    (SAME, True),  # the exact Last-Modified
    (BEFORE, False),
    (AFTER, False),  # later is not equal
    ("garbage", False),
    ("", False),
]


@pytest.mark.parametrize(("value", "expected"), IF_RANGE)
def test_if_range(value: str, expected: bool) -> None:
    assert if_range_allows(value, etag=ETAG, last_modified=MTIME) is expected


def test_if_range_with_a_weak_current_tag_is_false() -> None:
    assert not if_range_allows('"abc"', etag='W/"abc"', last_modified=MTIME)


# -- HTTP dates ---------------------------------------------------------------------------

DATES = [
    # RFC 9110 §5.6.7's three forms of the same instant
    ("Sun, 06 Nov 1994 08:49:37 GMT", MTIME),
    ("Sunday, 06-Nov-94 08:49:37 GMT", MTIME),
    ("Sun Nov  6 08:49:37 1994", MTIME),
    ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
    ("Tue, 29 Feb 2000 12:00:00 GMT", 951825600),
    ("Wed, 31 Dec 1969 23:59:60 GMT", -1),  # a leap second reads as :59
]


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_parse_http_date(text: str, expected: int) -> None:
    assert parse_http_date(text) == expected


BAD_DATES = [
    "",
    "Sun, 6 Nov 1994 08:49:37 GMT",  # day must be two digits
    "Sun, 06 Nov 1994 08:49:37 UTC",
    "Sun, 06 Nov 1994 8:49:37 GMT",
    "Sun, 31 Feb 1994 08:49:37 GMT",  # no such day
    "Sun, 06 Foo 1994 08:49:37 GMT",
    "Xyz, 06 Nov 1994 08:49:37 GMT",
    "Sun 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 25:00:00 GMT",
    "Sun, \u0660\u0666 Nov 1994 08:49:37 GMT",  # non-ASCII digits
    "Sun, 06 Nov 1994 08:49:37 GMT" + " " * 100,  # too long to be a date
    "1994-11-06T08:49:37Z",
]


@pytest.mark.parametrize("text", BAD_DATES)
def test_not_http_dates(text: str) -> None:
    assert parse_http_date(text) is None


def test_format_http_date() -> None:
    assert format_http_date(MTIME) == SAME
    assert format_http_date(MTIME + 0.9) == SAME  # whole seconds
    assert format_http_date(-5) == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert format_http_date(1e20) == "Fri, 31 Dec 9999 23:59:59 GMT"


@given(st.integers(0, 253402300799))
def test_dates_round_trip(seconds: int) -> None:
    assert parse_http_date(format_http_date(seconds)) == seconds


@given(st.text(max_size=80))
def test_date_parser_never_raises(text: str) -> None:
    result = parse_http_date(text)
    assert result is None or isinstance(result, int)


@given(st.text(max_size=200), st.sampled_from(["GET", "HEAD", "POST"]))
def test_preconditions_never_raise(text: str, method: str) -> None:
    for name in ("if_match", "if_none_match", "if_modified_since", "if_unmodified_since"):
        assert evaluate_preconditions(method, etag=ETAG, last_modified=MTIME, **{name: text}) in (
            None,
            304,
            412,
        )
    assert if_range_allows(text, etag=ETAG, last_modified=MTIME) in (True, False)


# -- entity tags ------------------------------------------------------------------------

TAG_LISTS: list[tuple[str, list[EntityTag] | None]] = [
    ('"a"', [EntityTag("a")]),
    ('W/"a", "b"', [EntityTag("a", weak=True), EntityTag("b")]),
    ('"a,b", W/"c"', [EntityTag("a,b"), EntityTag("c", True)]),  # a comma inside the quotes
    ('""', [EntityTag("")]),
    (" * ", None),
    ('"*"', [EntityTag("*")]),
    ("", []),
    (",, ,", []),
    ('junk, "a", w/"b"', [EntityTag("a")]),  # "w/" is not the weak marker: skipped
    ('"a", "unterminated', [EntityTag("a")]),
    ('W/ "a"', []),  # no space may follow W/
]


@pytest.mark.parametrize(("value", "expected"), TAG_LISTS)
def test_parse_entity_tags(value: str, expected: list[EntityTag] | None) -> None:
    assert parse_entity_tags(value) == expected


def test_parse_one_entity_tag() -> None:
    assert parse_entity_tag('W/"x"') == EntityTag("x", weak=True)
    assert parse_entity_tag("nothing") is None
    assert str(EntityTag("x")) == '"x"' and str(EntityTag("x", weak=True)) == 'W/"x"'


# RFC 9110 §8.8.3.2, the table of the four comparisons.
COMPARISONS = [
    (EntityTag("1", True), EntityTag("1", True), False, True),
    (EntityTag("1", True), EntityTag("2", True), False, False),
    (EntityTag("1", True), EntityTag("1"), False, True),
    (EntityTag("1"), EntityTag("1"), True, True),
]


@pytest.mark.parametrize(("a", "b", "strong", "weak"), COMPARISONS)
def test_rfc_comparison_table(a: EntityTag, b: EntityTag, strong: bool, weak: bool) -> None:
    assert strong_match(a, b) is strong and strong_match(b, a) is strong
    assert weak_match(a, b) is weak and weak_match(b, a) is weak


# RFC 9110 §8.8.3: etagc = %x21 / %x23-7E / obs-text
etagc = st.characters(codec="latin-1", exclude_characters='"\x7f').filter(lambda c: c >= "\x21")
tags = st.builds(EntityTag, st.text(etagc, max_size=20), st.booleans())


@given(st.lists(tags, max_size=8), st.sampled_from([",", ", ", " ,\t"]))
def test_entity_tag_lists_round_trip(values: list[EntityTag], separator: str) -> None:
    assert parse_entity_tags(separator.join(map(str, values))) == values


@given(st.text(max_size=200))
def test_entity_tag_parser_never_raises(text: str) -> None:
    result = parse_entity_tags(text)
    assert result is None or all(isinstance(tag, EntityTag) for tag in result)


@pytest.mark.parametrize(
    "build",
    [
        lambda n: '"a", ' * n,
        lambda n: "W/" * n,
        lambda n: "x," * n,
        lambda n: '"' + "," * n,
        lambda n: " " * n + "*",
    ],
    ids=["tags", "weak-markers", "junk", "unterminated", "spaces"],
)
def test_entity_tag_parser_is_linear(build: Callable[[int], str], scan_cost: ScanCost) -> None:
    per_char = [
        scan_cost(parse_entity_tags, text) / len(text) for text in map(build, (2_000, 16_000))
    ]
    assert per_char[1] <= 1.25 * per_char[0], per_char


def test_http_date_parser_is_bounded(scan_cost: ScanCost) -> None:
    # Anything over 64 characters is refused before it is looked at.
    assert scan_cost(parse_http_date, "Sun, " * 20_000) == scan_cost(parse_http_date, "Sun, " * 20)
