"""The content codings: gzip (zlib, standard library), br (Google's Brotli bindings) and
zstd (``compression.zstd`` on Python 3.14+, its backport ``backports.zstd`` before).

Each coding gives a one-shot ``compress(data, level)`` for a whole body and an
incremental encoder for a stream, whose ``encode(data, final)`` returns the bytes to
send now: everything given so far, decodable by the client at once (a sync flush), or
the end of the stream when ``final``. A coding whose module is not installed is simply
not in :data:`CODECS`.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

__all__ = ["CODECS", "Codec", "StreamEncoder"]


class StreamEncoder(Protocol):
    """One stream's compressor."""

    def encode(self, data: bytes, final: bool) -> bytes:
        """Compress ``data`` and return what the client can decode now (a flush), or,
        when ``final``, the rest of the stream."""
        ...


@dataclass(frozen=True, slots=True)
class Codec:
    """A content coding: its token, its levels and its two ways to compress."""

    name: str
    levels: range
    default_level: int
    compress: Callable[[bytes, int], bytes]
    encoder: Callable[[int], StreamEncoder]


# -- gzip --------------------------------------------------------------------------------

_GZIP_WBITS = 31  # 16 + 15: a gzip wrapper (RFC 1952) around a 32 KiB deflate window


def _gzip_compress(data: bytes, level: int) -> bytes:
    # zlib's one-shot: no GzipFile, no BytesIO. The header's MTIME is 0 ("no time
    # stamp"), so equal bodies compress to equal bytes.
    return zlib.compress(data, level, _GZIP_WBITS)


class _GzipEncoder:
    __slots__ = ("_compress", "_flush")

    def __init__(self, level: int) -> None:
        compressor = zlib.compressobj(level, zlib.DEFLATED, _GZIP_WBITS)
        self._compress = compressor.compress
        self._flush = compressor.flush

    def encode(self, data: bytes, final: bool) -> bytes:
        # Z_SYNC_FLUSH ends the deflate block on a byte boundary: all input so far can be
        # inflated by the client, and the stream goes on.
        return self._compress(data) + self._flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


GZIP = Codec("gzip", range(10), 6, _gzip_compress, _GzipEncoder)


# -- br ----------------------------------------------------------------------------------


def _load(*names: str) -> ModuleType | None:
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def _brotli_codec(brotli: Any) -> Codec:
    def compress(data: bytes, level: int) -> bytes:
        result: bytes = brotli.compress(data, quality=level)
        return result

    class BrotliEncoder:
        __slots__ = ("_compressor",)

        def __init__(self, level: int) -> None:
            self._compressor = brotli.Compressor(quality=level)

        def encode(self, data: bytes, final: bool) -> bytes:
            compressor = self._compressor
            head: bytes = compressor.process(data) if data else b""
            tail: bytes = compressor.finish() if final else compressor.flush()
            return head + tail

    # Quality 4: the usual choice for responses compressed as they are sent (quality 11,
    # the library's default, is for precompressed files: about 50 times slower).
    return Codec("br", range(12), 4, compress, BrotliEncoder)


# -- zstd --------------------------------------------------------------------------------


def _zstd_codec(zstd: Any) -> Codec:
    flush_block = zstd.ZstdCompressor.FLUSH_BLOCK
    flush_frame = zstd.ZstdCompressor.FLUSH_FRAME

    def compress(data: bytes, level: int) -> bytes:
        result: bytes = zstd.compress(data, level)
        return result

    class ZstdEncoder:
        __slots__ = ("_compress",)

        def __init__(self, level: int) -> None:
            self._compress = zstd.ZstdCompressor(level).compress

        def encode(self, data: bytes, final: bool) -> bytes:
            # FLUSH_BLOCK: the block is complete, the client decodes all input so far.
            result: bytes = self._compress(data, flush_frame if final else flush_block)
            return result

    # Levels 1 to 22 (negative levels are "fast" modes, left out); 3 is zstd's default.
    return Codec("zstd", range(1, 23), 3, compress, ZstdEncoder)


def _available() -> dict[str, Codec]:
    codecs: dict[str, Codec] = {}
    zstd = _load("compression.zstd", "backports.zstd")
    if zstd is not None:
        codecs["zstd"] = _zstd_codec(zstd)
    brotli = _load("brotli")
    if brotli is not None:
        codecs["br"] = _brotli_codec(brotli)
    codecs["gzip"] = GZIP
    return codecs


CODECS: dict[str, Codec] = _available()
"""The codings this interpreter can produce, by token: always ``gzip``; ``br`` with the
``brotli`` extra; ``zstd`` on Python 3.14+ or with the ``zstd`` extra."""
