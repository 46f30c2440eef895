"""Urlencoded decoding as WHATWG URL §5.1 does it: percent-decode the bytes of a name or
value (``+`` is a space), then decode the result once with the charset."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.errors import InvalidEncodingError
from asgikit.multivalue import MultiValueDict
from asgikit.query import parse_urlencoded


@pytest.mark.parametrize(
    ("data", "encoding", "expected"),
    [
        (b"a=\xc3\xa9%20x", "utf-8", "é x"),
        (b"a=Jos\xc3\xa9%20D\xc3\xadaz", "utf-8", "José Díaz"),
        (b"a=\xc3%A9", "utf-8", "é"),  # one character split between a raw byte and an escape
        (b"a=\xe9%20x", "iso-8859-1", "é x"),
        (b"a=\xe9", "iso-8859-1", "é"),
        (b"a=%E9+\xe9", "iso-8859-1", "é é"),
    ],
)
def test_raw_bytes_and_escapes_are_decoded_once(data: bytes, encoding: str, expected: str) -> None:
    assert parse_urlencoded(data, encoding=encoding, errors="strict") == {"a": expected}


@pytest.mark.parametrize("data", [b"a=\xe9%00", b"a=\xe9", b"\xff=1", b"a=%C3\xff"])
def test_raw_bytes_that_are_not_utf8_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidEncodingError) as info:
        parse_urlencoded(data, errors="strict")
    assert info.value.status_code == 400


def test_a_str_is_taken_as_utf8() -> None:
    # WHATWG URLSearchParams: a string is UTF-8 encoded, then parsed as bytes.
    assert parse_urlencoded("a=é%20x&%C3%A9=1", errors="strict") == {"a": "é x", "é": "1"}


# -- the model ---------------------------------------------------------------------------

_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")


def model(data: bytes, encoding: str) -> MultiValueDict[str]:
    """WHATWG URL §5.1, written as plainly as possible."""

    def decode(raw: bytes) -> str:
        raw = raw.replace(b"+", b" ")
        raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
        return raw.decode(encoding)

    out: MultiValueDict[str] = MultiValueDict()
    for item in data.split(b"&"):
        if item:
            name, _, value = item.partition(b"=")
            out.add(decode(name), decode(value))
    return out


# Bytes that mix the separators, escapes (good and broken) and raw non-ASCII bytes.
pieces = st.sampled_from(
    [
        *(b"&", b"=", b"+", b"%", b"%2", b"%20", b"%C3", b"%A9", b"%e9", b"%zz", b"a"),
        *(b"\xc3", b"\xa9", b"\xe9", b"\xff", "é".encode(), "€".encode(), b"%E2%82", b"\xac"),
    ]
)
bodies = st.lists(pieces, max_size=30).map(b"".join)


@given(data=bodies, encoding=st.sampled_from(["utf-8", "iso-8859-1", "cp1252", "shift_jis"]))
def test_decoding_equals_the_model(data: bytes, encoding: str) -> None:
    try:
        expected = model(data, encoding)
    except UnicodeDecodeError:
        with pytest.raises(InvalidEncodingError):
            parse_urlencoded(data, encoding=encoding, errors="strict")
    else:
        assert parse_urlencoded(data, encoding=encoding, errors="strict") == expected


@given(data=bodies)
def test_replace_mode_equals_the_model_with_replacement(data: bytes) -> None:
    def decode(raw: bytes) -> str:
        raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw.replace(b"+", b" "))
        return raw.decode("utf-8", "replace")

    expected: MultiValueDict[str] = MultiValueDict()
    for item in data.split(b"&"):
        if item:
            name, _, value = item.partition(b"=")
            expected.add(decode(name), decode(value))
    assert parse_urlencoded(data) == expected


@pytest.mark.parametrize(
    ("data", "encoding", "expected"),
    [
        (b"_charset_=cp500&a=%C1", "cp500", {"_charset_": "cp500", "a": "A"}),
        (b"a=x%C1%C2+y", "cp500", {"a": "xAB y"}),
        (b"a=%FF%FE%41%00", "utf-16", {"a": "A"}),
    ],
)
def test_ascii_incompatible_charsets_decode_only_the_escapes(
    data: bytes, encoding: str, expected: dict[str, str]
) -> None:
    assert parse_urlencoded(data, encoding=encoding, errors="strict") == expected


def test_ascii_incompatible_charsets_refuse_raw_non_ascii_bytes() -> None:
    with pytest.raises(InvalidEncodingError):
        parse_urlencoded(b"a=\xc1", encoding="cp500", errors="strict")
    assert parse_urlencoded(b"a=\xc1", encoding="cp500") == {"a": "\ufffd"}
