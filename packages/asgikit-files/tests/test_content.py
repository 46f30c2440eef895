"""Media types, Content-Disposition and Accept-Encoding negotiation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.files import (
    content_disposition,
    guess_media_type,
    negotiate_encoding,
    parse_accept_encoding,
)
from asgikit.headers import encode_header_value, parse_parameters

MEDIA = [
    ("index.html", "text/html"),
    ("INDEX.HTM", "text/html"),
    ("app.js", "text/javascript"),
    ("style.css", "text/css"),
    ("data.json", "application/json"),
    ("logo.svg", "image/svg+xml"),
    ("archive.tar.gz", "application/gzip"),
    ("photo.JPG", "image/jpeg"),
    ("font.woff2", "font/woff2"),
    ("module.wasm", "application/wasm"),
    ("README", "application/octet-stream"),
    (".env", "application/octet-stream"),
    ("dir.d/file", "application/octet-stream"),
    ("noext.", "application/octet-stream"),
    ("x.unknownext", "application/octet-stream"),
]


@pytest.mark.parametrize(("name", "expected"), MEDIA)
def test_guess_media_type(name: str, expected: str) -> None:
    assert guess_media_type(name) == expected


DISPOSITIONS = [
    ("report.pdf", 'attachment; filename="report.pdf"'),
    ("my report.pdf", 'attachment; filename="my report.pdf"'),
    ("résumé.pdf", "attachment; filename=\"resume.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"),
    ("日本.txt", "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"),
    # Django CVE-2022-36359: breaking out of the quoted name
    (
        'report";filename=evil.cmd',
        "attachment; filename=\"report_;filename=evil.cmd\"; "
        "filename*=UTF-8''report%22%3Bfilename%3Devil.cmd",
    ),
    ("a\\b.txt", 'attachment; filename="a_b.txt"'),  # path separators never reach the client
    ("../../etc/passwd", 'attachment; filename=".._.._etc_passwd"'),
    ("x\r\nSet-Cookie: a=1", 'attachment; filename="x__Set-Cookie: a=1"'),
    ("100%.txt", "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt"),
    ("", 'attachment; filename="download"'),
    ("\x00", 'attachment; filename="_"'),
]  # fmt: skip


@pytest.mark.parametrize(("name", "expected"), DISPOSITIONS)
def test_content_disposition(name: str, expected: str) -> None:
    assert content_disposition(name) == expected


def test_inline_and_bad_disposition() -> None:
    assert content_disposition("a.txt", disposition="inline") == 'inline; filename="a.txt"'
    with pytest.raises(ValueError, match="disposition"):
        content_disposition("a.txt", disposition="attachment; x=1")


@given(st.text(max_size=100))
def test_content_disposition_is_always_one_safe_header(name: str) -> None:
    value = content_disposition(name)
    encode_header_value(value)  # no control character, latin-1 only
    assert value.isascii()
    main, params = parse_parameters(value)
    assert main == "attachment"
    assert set(params) <= {"filename", "filename*"}  # no parameter smuggled in
    assert "/" not in params["filename"] and "\\" not in params["filename"]


ACCEPT = [
    # (Accept-Encoding, available, chosen)
    (None, ("br", "gzip"), None),
    ("", ("br", "gzip"), None),
    ("gzip", ("br", "gzip"), "gzip"),
    ("gzip, br", ("br", "gzip"), "br"),  # a tie goes to the server's order
    ("br;q=0.5, gzip", ("br", "gzip"), "gzip"),
    ("br;q=0, gzip;q=0", ("br", "gzip"), None),  # q=0 refuses
    ("*", ("br", "gzip"), "br"),
    ("*;q=0.5, br;q=0", ("br", "gzip"), "gzip"),
    ("gzip;q=0.5, identity", ("br", "gzip"), None),  # identity preferred explicitly
    ("gzip;q=1, identity;q=1", ("br", "gzip"), "gzip"),
    ("GZIP", ("gzip",), "gzip"),
    ("x-gzip", ("gzip",), "gzip"),
    ("br", ("gzip",), None),  # nothing acceptable available: the file itself
    ("gzip;q=2", ("gzip",), None),  # malformed weight: element skipped
    ("gzip;q=0.0001", ("gzip",), None),
    ("gzip;q=0.001", ("gzip",), "gzip"),
    ("gzip;q=1.000", ("gzip",), "gzip"),
    ("gzip ; Q=0.8", ("gzip",), "gzip"),
    ("deflate, compress", ("br", "gzip"), None),
    ("gzip", (), None),
]


@pytest.mark.parametrize(("header", "available", "expected"), ACCEPT)
def test_negotiate_encoding(
    header: str | None, available: tuple[str, ...], expected: str | None
) -> None:
    assert negotiate_encoding(header, available) == expected


def test_parse_accept_encoding() -> None:
    assert parse_accept_encoding("gzip;q=0.8, br, gzip;q=0.1, *;q=0") == {
        "gzip": 0.8,
        "br": 1.0,
        "*": 0.0,
    }


@given(st.text(max_size=200))
def test_negotiation_never_raises(header: str) -> None:
    assert negotiate_encoding(header, ("br", "gzip")) in (None, "br", "gzip")
