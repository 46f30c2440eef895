"""The planner, by tables: what is never compressed, which coding is negotiated, and
the headers that go with it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.compression import (
    Plan,
    compressed_headers,
    is_already_compressed,
    is_compressible,
    plan_response,
    varied_headers,
)
from asgikit.headers.accept import parse_accept_encoding

CODINGS = ("zstd", "br", "gzip")
JSON = [(b"content-type", b"application/json"), (b"content-length", b"5000")]


def plan(
    accept: str | None = "gzip, br, zstd",
    *,
    status: int = 200,
    headers: list[tuple[bytes, bytes]] | None = None,
    codings: tuple[str, ...] = CODINGS,
    opted_out: bool = False,
) -> Plan:
    return plan_response(
        status=status,
        headers=JSON if headers is None else headers,
        accept_encoding=accept,
        codings=codings,
        minimum_size=500,
        opted_out=opted_out,
    )


@pytest.mark.parametrize(
    "media_type",
    [
        "text/html; charset=utf-8",
        "TEXT/Plain",
        "text/event-stream",
        "application/json",
        "application/problem+json",
        "application/javascript",
        "application/xml",
        "application/atom+xml",
        "image/svg+xml",
        "application/x-ndjson",
    ],
)
def test_compressible_media_types(media_type: str) -> None:
    assert is_compressible(media_type)
    assert not is_already_compressed(media_type)
    assert plan(headers=[(b"content-type", media_type.encode())]).coding == "zstd"


@pytest.mark.parametrize(
    "media_type",
    ["image/png", "image/jpeg", "image/webp", "video/mp4", "audio/ogg", "application/zip",
     "application/gzip", "application/zstd", "font/woff2"],
)  # fmt: skip
def test_already_compressed_media_types_are_left_alone(media_type: str) -> None:
    assert is_already_compressed(media_type)
    headers = [(b"content-type", media_type.encode())]
    assert plan(headers=headers) == Plan(vary=False, coding=None)
    # ... even when the compressible test says yes.
    forced = plan_response(
        status=200,
        headers=headers,
        accept_encoding="gzip",
        codings=CODINGS,
        minimum_size=0,
        compressible=lambda _: True,
    )
    assert forced.coding is None


@pytest.mark.parametrize("media_type", ["application/octet-stream", "application/pdf"])
def test_other_media_types_are_not_compressed_by_default(media_type: str) -> None:
    assert not is_compressible(media_type)
    assert plan(headers=[(b"content-type", media_type.encode())]).coding is None


NEVER = [
    pytest.param(101, JSON, id="101"),
    pytest.param(204, JSON, id="204"),
    pytest.param(304, JSON, id="304"),
    pytest.param(206, JSON, id="206"),
    pytest.param(200, [*JSON, (b"content-range", b"bytes 0-4/10")], id="content-range"),
    pytest.param(200, [*JSON, (b"Content-Encoding", b"br")], id="content-encoding"),
    pytest.param(200, [(b"content-length", b"5000")], id="no content-type"),
]


@pytest.mark.parametrize(("status", "headers"), NEVER)
def test_never_compressed_nor_varied(status: int, headers: list[tuple[bytes, bytes]]) -> None:
    assert plan(status=status, headers=headers) == Plan(vary=False, coding=None)


def test_opted_out_is_left_alone() -> None:
    assert plan(opted_out=True) == Plan(vary=False, coding=None)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, None),  # no header: the client asked for no coding
        ("", None),  # empty: identity only
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("GZIP", "gzip"),
        ("gzip, br", "br"),  # equal weights: the server's order
        ("gzip, deflate, br, zstd", "zstd"),
        ("gzip;q=1, br;q=0.5", "gzip"),  # the client's weights first
        ("br;q=0.1, gzip;q=0.2", "gzip"),
        ("*", "zstd"),
        ("*;q=0.5, gzip", "gzip"),
        ("*, zstd;q=0", "br"),
        ("gzip;q=0", None),
        ("identity", None),
        ("identity, gzip;q=0.5", None),  # identity named, and weighs more
        ("gzip, identity;q=0", "gzip"),
        ("identity;q=0, *;q=0", None),  # nothing acceptable: identity all the same
        ("deflate, compress", None),  # nothing we offer
        ("gzip;q=2", None),  # malformed weight: skipped
        ("br;q=0.001", "br"),
    ],
)
def test_negotiation(accept: str | None, expected: str | None) -> None:
    result = plan(accept)
    assert result.vary is True
    assert result.coding == expected


def test_negotiation_follows_the_configured_order() -> None:
    assert plan("gzip, br, zstd", codings=("gzip", "br")).coding == "gzip"
    assert plan("zstd", codings=("gzip", "br")).coding is None


def test_a_small_declared_length_is_not_compressed_but_varies() -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"499")]
    assert plan(headers=headers) == Plan(vary=True, coding=None)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"500")]
    assert plan(headers=headers).coding == "zstd"


@given(accept=st.text(alphabet="gzipbrzstdidentity*;q=0.51, \t", max_size=40))
def test_the_coding_chosen_is_one_the_client_accepts(accept: str) -> None:
    coding = plan(accept).coding
    if coding is None:
        return
    items = {item.value: item.q for item in parse_accept_encoding(accept)}
    weight = items.get(coding, items.get("*", 0.0))
    assert weight > 0
    # ... and no coding we offer weighs more.
    for other in CODINGS:
        assert items.get(other, items.get("*", 0.0)) <= weight


def test_varied_headers_merge_one_vary_line() -> None:
    headers = [(b"vary", b"Accept"), (b"x-a", b"1"), (b"Vary", b"accept-encoding, Cookie")]
    assert varied_headers(headers) == [
        (b"x-a", b"1"),
        (b"vary", b"Accept, accept-encoding, Cookie"),
    ]
    assert varied_headers([(b"vary", b"*")]) == [(b"vary", b"*")]
    assert varied_headers([]) == [(b"vary", b"Accept-Encoding")]


def test_compressed_headers() -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"5000"),
        (b"etag", b'"v1"'),
    ]
    assert compressed_headers(headers, "br", 321) == [
        (b"content-type", b"application/json"),
        (b"etag", b'W/"v1"'),
        (b"vary", b"Accept-Encoding"),
        (b"content-encoding", b"br"),
        (b"content-length", b"321"),
    ]
    weak = [(b"etag", b'W/"v1"'), (b"content-length", b"5")]
    assert compressed_headers(weak, "gzip", None) == [
        (b"etag", b'W/"v1"'),
        (b"vary", b"Accept-Encoding"),
        (b"content-encoding", b"gzip"),
    ]
