"""Media types, entity tags of files and Accept-Encoding negotiation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.files import (
    guess_media_type,
    make_etag,
    negotiate_encoding,
    parse_accept_encoding,
)

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


def test_make_etag_is_strong_and_changes_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"one")
    os.utime(path, ns=(10**18, 10**18))
    first = make_etag(os.stat(path))
    assert first.startswith('"') and first.endswith('"') and not first.startswith("W/")
    path.write_bytes(b"three")
    os.utime(path, ns=(10**18, 10**18))
    assert make_etag(os.stat(path)) != first  # same time, other size
    path.write_bytes(b"one")
    os.utime(path, ns=(10**18 + 1, 10**18 + 1))
    assert make_etag(os.stat(path)) != first  # same size, one nanosecond later
    assert make_etag(os.stat(path), "-br").endswith('-br"')
