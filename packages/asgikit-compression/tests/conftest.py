"""Fixtures: a decoder per coding, and a way to run an app through the middleware over
a complete ASGI scope."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import brotli
import pytest
from backports import zstd
from hypothesis import settings

from asgikit.asgi import ASGIApp, Message
from asgikit.compression import CompressionMiddleware, CompressionOptions
from asgikit.testing import Channel, http_scope

# No wall clock in the unit run: Hypothesis' per-example deadline fails a test that is
# merely slow on a busy machine.
settings.register_profile("asgikit", deadline=None)
settings.load_profile("asgikit")

CODINGS = ("zstd", "br", "gzip")


class Decoder:
    """An incremental decoder: ``feed(chunk)`` returns what the chunk makes decodable."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        if coding == "gzip":
            self.feed: Callable[[bytes], bytes] = zlib.decompressobj(31).decompress
        elif coding == "br":
            self.feed = brotli.Decompressor().process
        else:
            self.feed = zstd.ZstdDecompressor().decompress


def decode(coding: str | None, data: bytes) -> bytes:
    if coding is None:
        return data
    if coding == "gzip":
        return zlib.decompress(data, 31)
    if coding == "br":
        result: bytes = brotli.decompress(data)
        return result
    decoded: bytes = zstd.decompress(data)
    return decoded


class Exchange:
    """What went through the middleware for one request."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    @property
    def start(self) -> Message:
        (start,) = [m for m in self.channel.sent if m["type"] == "http.response.start"]
        return start

    @property
    def headers(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for key, value in self.start["headers"]:
            name = key.decode("latin-1").lower()
            assert name not in found, f"{name} twice"
            found[name] = value.decode("latin-1")
        return found

    @property
    def coding(self) -> str | None:
        return self.headers.get("content-encoding")

    @property
    def bodies(self) -> list[bytes]:
        return [m.get("body", b"") for m in self.channel.sent if m["type"] == "http.response.body"]

    @property
    def raw(self) -> bytes:
        return b"".join(self.bodies)

    @property
    def body(self) -> bytes:
        return decode(self.coding, self.raw)


async def run(
    app: ASGIApp,
    *,
    accept_encoding: str | None = "gzip, deflate, br, zstd",
    method: str = "GET",
    headers: Iterable[tuple[str, str]] = (),
    extensions: dict[str, Any] | None = None,
    **options: Any,
) -> Exchange:
    request_headers = list(headers)
    if accept_encoding is not None:
        request_headers.append(("accept-encoding", accept_encoding))
    scope = http_scope(method, headers=request_headers, extensions=extensions)
    channel = Channel([{"type": "http.request", "body": b"", "more_body": False}])
    typed: CompressionOptions = options  # type: ignore[assignment]
    await CompressionMiddleware(app, **typed)(scope, channel.receive, channel.send)
    return Exchange(channel)


class Run(Protocol):
    async def __call__(
        self,
        app: ASGIApp,
        *,
        accept_encoding: str | None = ...,
        method: str = ...,
        headers: Iterable[tuple[str, str]] = ...,
        extensions: dict[str, Any] | None = ...,
        **options: Any,
    ) -> Exchange: ...


@pytest.fixture(scope="session")
def serve() -> Run:
    """``await serve(app, accept_encoding=..., method=..., **options)``: the app run
    through CompressionMiddleware(app, **options) for one request; returns an Exchange."""
    return run


@pytest.fixture(scope="session")
def decode_as() -> Callable[[str | None, bytes], bytes]:
    """``decode_as(coding, data)``: the whole of ``data`` decoded."""
    return decode


@pytest.fixture(scope="session")
def new_decoder() -> Callable[[str], Decoder]:
    """``new_decoder(coding)``: an incremental decoder."""
    return Decoder
