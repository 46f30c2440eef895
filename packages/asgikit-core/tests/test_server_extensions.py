"""What the server offers (``request.server_extensions``), 103 Early Hints, trailers, and
text written through a streamed response."""

from __future__ import annotations

from typing import Any

import pytest

from asgikit.errors import ExtensionUnavailableError, HeaderValueError, ResponseStateError
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

HINTS: dict[str, Any] = {"http.response.early_hint": {}}
TRAILERS: dict[str, Any] = {"http.response.trailers": {}}


def make(extensions: dict[str, Any] | None = None, **options: Any) -> tuple[Request, Channel]:
    channel = Channel.with_body(b"")
    scope = http_scope(extensions=extensions, **options)
    return Request(scope, channel.receive, channel.send), channel


# -- server_extensions --------------------------------------------------------------------


def test_server_extensions_is_a_read_only_view_of_the_scope() -> None:
    request, _ = make({**HINTS, "http.response.pathsend": {}})
    assert set(request.server_extensions) == {"http.response.early_hint", "http.response.pathsend"}
    with pytest.raises(TypeError):
        request.server_extensions["x"] = {}  # type: ignore[index]
    request.scope["extensions"]["later"] = {}
    assert "later" in request.server_extensions  # a view, not a copy


def test_server_extensions_without_the_key_is_empty() -> None:
    request, _ = make()
    del request.scope["extensions"]
    assert dict(request.server_extensions) == {}


# -- early hints --------------------------------------------------------------------------


async def test_early_hints_go_out_when_the_server_offers_them() -> None:
    request, channel = make(HINTS, http_version="2")
    links = ["</app.css>; rel=preload; as=style", "</app.js>; rel=preload; as=script"]
    assert await request.send_early_hints(links) is True
    assert await request.send_early_hints(links[:1]) is True  # several 103s are allowed
    await request.respond_text("page")
    assert [m["type"] for m in channel.sent] == [
        "http.response.early_hint",
        "http.response.early_hint",
        "http.response.start",
        "http.response.body",
    ]
    assert channel.sent[0]["links"] == [
        b"</app.css>; rel=preload; as=style",
        b"</app.js>; rel=preload; as=script",
    ]


async def test_early_hints_are_a_no_op_that_says_so_without_the_extension() -> None:
    request, channel = make()
    assert await request.send_early_hints(["</a.css>; rel=preload"]) is False
    assert channel.sent == []


async def test_early_hints_after_the_response_started_are_refused() -> None:
    request, _ = make(HINTS)
    async with request.response_writer():
        with pytest.raises(ResponseStateError, match="cannot send early hints"):
            await request.send_early_hints(["</a.css>; rel=preload"])


@pytest.mark.parametrize("extensions", [HINTS, None])
async def test_an_early_hint_with_a_line_break_is_refused_on_every_server(
    extensions: dict[str, Any] | None,
) -> None:
    request, channel = make(extensions)
    with pytest.raises(HeaderValueError):
        await request.send_early_hints(["</a.css>; rel=preload\r\nSet-Cookie: x=1"])
    assert channel.sent == []


# -- trailers -----------------------------------------------------------------------------


@pytest.mark.parametrize("http_version", ["1.1", "2", "3"])
async def test_trailers_follow_the_body(http_version: str) -> None:
    request, channel = make(TRAILERS, http_version=http_version)
    writer = request.response_writer(media_type="text/plain", trailers=True)
    async with writer as write:
        await write(b"data")
        await writer.send_trailers({"x-checksum": "abc123", "server-timing": "db;dur=53"})
    assert channel.sent[0]["type"] == "http.response.start"
    assert channel.sent[0]["trailers"] is True
    assert channel.sent[1:] == [
        {"type": "http.response.body", "body": b"data", "more_body": True},
        {"type": "http.response.body", "body": b"", "more_body": False},
        {
            "type": "http.response.trailers",
            "headers": [(b"x-checksum", b"abc123"), (b"server-timing", b"db;dur=53")],
            "more_trailers": False,
        },
    ]
    assert request.response.is_finished


async def test_a_block_that_sends_no_trailers_still_ends_the_exchange() -> None:
    request, channel = make(TRAILERS, http_version="2")
    async with request.response_writer(trailers=True) as write:
        await write(b"data")
    assert channel.sent[-1] == {
        "type": "http.response.trailers",
        "headers": [],
        "more_trailers": False,
    }
    assert request.response.is_finished


async def test_a_response_without_trailers_never_announces_them() -> None:
    request, channel = make(TRAILERS, http_version="2")
    async with request.response_writer() as write:
        await write(b"data")
    assert "trailers" not in channel.sent[0]
    assert all(m["type"] != "http.response.trailers" for m in channel.sent)


async def test_writing_after_the_trailers_is_refused() -> None:
    request, _ = make(TRAILERS, http_version="2")
    writer = request.response_writer(trailers=True)
    async with writer as write:
        await writer.send_trailers([("x-a", "1")])
        with pytest.raises(ResponseStateError, match="cannot write: response already finished"):
            await write(b"late")
        with pytest.raises(ResponseStateError, match="already finished"):
            await writer.send_trailers([("x-a", "1")])


async def test_send_trailers_needs_a_writer_made_for_them() -> None:
    request, channel = make(TRAILERS, http_version="2")
    writer = request.response_writer()
    async with writer:
        with pytest.raises(ResponseStateError, match="without trailers=True"):
            await writer.send_trailers({"x-a": "1"})
    assert all(m["type"] != "http.response.trailers" for m in channel.sent)


async def test_a_bad_trailer_is_refused_before_anything_is_sent() -> None:
    request, channel = make(TRAILERS, http_version="2")
    writer = request.response_writer(trailers=True)
    async with writer:
        sent = len(channel.sent)
        with pytest.raises(HeaderValueError):
            await writer.send_trailers({"x-a": "1\r\nx-b: 2"})
        assert len(channel.sent) == sent
    assert request.response.is_finished  # the block still ended it, without trailers


@pytest.mark.parametrize(
    ("extensions", "http_version", "content_length", "why"),
    [
        (None, "2", None, "does not offer the 'http.response.trailers' extension"),
        (TRAILERS, "1.1", 4, "only a chunked body carries them"),
        (TRAILERS, "1.0", None, "over HTTP/1.0"),
    ],
)
async def test_trailers_where_they_cannot_go_are_refused_before_starting(
    extensions: dict[str, Any] | None, http_version: str, content_length: int | None, why: str
) -> None:
    request, channel = make(extensions, http_version=http_version)
    with pytest.raises(ExtensionUnavailableError, match=why):
        request.response_writer(trailers=True, content_length=content_length)
    assert channel.sent == []


async def test_a_content_length_set_beforehand_also_rules_trailers_out_on_http_1_1() -> None:
    request, _ = make(TRAILERS)
    request.response.content_length = 4
    with pytest.raises(ExtensionUnavailableError, match="chunked"):
        request.response_writer(trailers=True)


# -- text writes --------------------------------------------------------------------------


@pytest.mark.parametrize("spec_version", ["2.3", "2.4"])
async def test_the_writer_takes_text_encoded_with_the_response_encoding(
    spec_version: str,
) -> None:
    request, channel = make(spec_version=spec_version)
    request.response.encoding = "latin-1"
    async with request.response_writer(media_type="text/plain") as write:
        await write("caf\u00e9 ")
        await write(b"\xe9")
    assert channel.body == b"caf\xe9 \xe9"
    assert channel.header("content-type") == "text/plain; charset=latin-1"


async def test_text_writes_default_to_utf_8() -> None:
    request, channel = make()
    async with request.response_writer() as write:
        await write("\u00e9")
    assert channel.body == "\u00e9".encode()


async def test_text_that_does_not_encode_fails_the_write() -> None:
    request, _ = make()
    request.response.encoding = "ascii"
    with pytest.raises(UnicodeEncodeError):
        async with request.response_writer() as write:
            await write("\u00e9")
