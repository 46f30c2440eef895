"""The Content-Type a response sends: parameter names and media types are
case-insensitive (RFC 9110 §5.6.6, §8.3.1), so a charset is never added twice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.headers import parse_content_type
from asgikit.requests import Request
from asgikit.responses import content_type_value
from asgikit.testing import Channel

MakeRequest = Callable[..., tuple[Request, Channel]]


@pytest.mark.parametrize(
    ("media_type", "expected"),
    [
        ("text/plain; CHARSET=iso-8859-1", "text/plain; CHARSET=iso-8859-1"),
        ("text/plain; Charset=iso-8859-1", "text/plain; Charset=iso-8859-1"),
        ("text/plain ; charset = latin-1", "text/plain ; charset = latin-1"),
        ('text/plain; charset="utf-8"', 'text/plain; charset="utf-8"'),
        ("text/plain", "text/plain; charset=utf-8"),
        # A parameter whose name merely ends in "charset" is not the charset.
        ("text/plain; xcharset=a", "text/plain; xcharset=a; charset=utf-8"),
        # A "charset=" inside a quoted value of another parameter is not the charset.
        ('text/plain; note="charset=x"', 'text/plain; note="charset=x"; charset=utf-8'),
        # Type and subtype are case-insensitive too.
        ("Text/HTML", "Text/HTML; charset=utf-8"),
        ("Application/JavaScript", "Application/JavaScript; charset=utf-8"),
        ("application/json", "application/json"),
        ("image/png", "image/png"),
    ],
)
def test_content_type_value(media_type: str, expected: str) -> None:
    assert content_type_value(media_type, "utf-8") == expected


async def test_an_uppercase_charset_is_not_doubled(make_request: MakeRequest) -> None:
    request, channel = make_request()
    await request.respond_text("x", media_type="text/plain; CHARSET=iso-8859-1")
    assert channel.header("content-type") == "text/plain; CHARSET=iso-8859-1"


_name = st.sampled_from(["charset", "CHARSET", "Charset", "cHaRsEt", "q", "xcharset", "format"])
_text_type = st.sampled_from(["text/plain", "TEXT/PLAIN", "text/html", "image/svg+xml"])


@given(_text_type, st.lists(st.tuples(_name, st.from_regex(r"[a-z0-9-]{1,8}", fullmatch=True))))
def test_text_types_end_with_exactly_one_charset(
    media_type: str, params: list[tuple[str, str]]
) -> None:
    value = media_type + "".join(f"; {name}={text}" for name, text in params)
    result = content_type_value(value, "utf-8")
    named = [text for name, text in params if name.lower() == "charset"]
    has_charset = bool(named)
    # The parser agrees: the charset is the first one named, and added only when absent.
    assert parse_content_type(result)[1]["charset"] == (named[0] if named else "utf-8")
    assert result == (value if has_charset else f"{value}; charset=utf-8")
