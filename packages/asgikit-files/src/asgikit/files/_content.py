"""Content headers of file responses: media types, entity tags, Accept-Encoding.

Pure functions. The media type table is our own, not the host's ``/etc/mime.types``, so
a file gets the same Content-Type on every machine.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from asgikit.headers import accept as _accept

__all__ = ["guess_media_type", "make_etag", "negotiate_encoding", "parse_accept_encoding"]

MEDIA_TYPES: dict[str, str] = {
    # text (the charset is added when the response starts)
    ".html": "text/html", ".htm": "text/html", ".css": "text/css",
    ".js": "text/javascript", ".mjs": "text/javascript", ".cjs": "text/javascript",
    ".txt": "text/plain", ".text": "text/plain", ".log": "text/plain",
    ".csv": "text/csv", ".tsv": "text/tab-separated-values", ".md": "text/markdown",
    ".markdown": "text/markdown", ".xml": "application/xml", ".xsl": "application/xml",
    ".vtt": "text/vtt", ".ics": "text/calendar", ".rtf": "application/rtf",
    ".svg": "image/svg+xml", ".svgz": "image/svg+xml",
    # data
    ".json": "application/json", ".map": "application/json", ".jsonld": "application/ld+json",
    ".webmanifest": "application/manifest+json", ".geojson": "application/geo+json",
    ".yaml": "application/yaml", ".yml": "application/yaml", ".toml": "application/toml",
    ".wasm": "application/wasm", ".pdf": "application/pdf", ".epub": "application/epub+zip",
    ".atom": "application/atom+xml", ".rss": "application/rss+xml",
    # images
    ".png": "image/png", ".apng": "image/apng", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff", ".heic": "image/heic",
    # fonts
    ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    # audio and video
    ".mp3": "audio/mpeg", ".wav": "audio/wav", ".flac": "audio/flac", ".oga": "audio/ogg",
    ".ogg": "audio/ogg", ".opus": "audio/ogg", ".m4a": "audio/mp4", ".aac": "audio/aac",
    ".weba": "audio/webm", ".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm",
    ".ogv": "video/ogg", ".mov": "video/quicktime", ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo", ".mpeg": "video/mpeg", ".mpg": "video/mpeg",
    # archives
    ".zip": "application/zip", ".gz": "application/gzip", ".tgz": "application/gzip",
    ".bz2": "application/x-bzip2", ".xz": "application/x-xz", ".zst": "application/zstd",
    ".tar": "application/x-tar", ".7z": "application/x-7z-compressed",
    ".rar": "application/vnd.rar",
    # documents
    ".doc": "application/msword", ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}  # fmt: skip
DEFAULT_MEDIA_TYPE = "application/octet-stream"


def guess_media_type(name: str) -> str:
    """The media type for a file name, from its last extension (case-insensitive);
    ``application/octet-stream`` when unknown. ``"app.js"`` → ``"text/javascript"``
    (RFC 9239), ``"data.tar.gz"`` → ``"application/gzip"``: the file as it is stored."""
    slash = max(name.rfind("/"), name.rfind("\\"))
    dot = name.rfind(".")
    if dot <= slash + 1:  # no extension, or a dotfile such as ".env"
        return DEFAULT_MEDIA_TYPE
    return MEDIA_TYPES.get(name[dot:].lower(), DEFAULT_MEDIA_TYPE)


def make_etag(stat_result: os.stat_result, suffix: str = "") -> str:
    """A strong entity tag for a file: its modification time in nanoseconds and its size,
    in hex (``"17d2c8a0f1e3b400-2a"``). ``suffix`` tells apart representations of the
    same file (``"-br"`` for its Brotli variant); it may hold only ASCII letters, digits
    and ``-``."""
    return f'"{stat_result.st_mtime_ns:x}-{stat_result.st_size:x}{suffix}"'


def parse_accept_encoding(value: str) -> dict[str, float]:
    """``"gzip;q=0.8, br"`` → ``{"gzip": 0.8, "br": 1.0}``: codings lower-cased, the first
    mention wins, ``x-gzip`` read as ``gzip``, elements with a malformed weight skipped.

    .. versionchanged:: 0.2.0 A thin adapter over asgikit-core's
       :func:`asgikit.headers.accept.parse_accept_encoding`, which gives the list.
    """
    prefs: dict[str, float] = {}
    for item in _accept.parse_accept_encoding(value):
        prefs.setdefault(item.value, item.q)
    return prefs


def negotiate_encoding(accept_encoding: str | None, available: Sequence[str]) -> str | None:
    """The content coding to send among ``available`` (in the server's order of
    preference, say ``("br", "gzip")``), or ``None`` for the file as it is.

    RFC 9110 §12.5.3: a coding is acceptable if it is listed, or ``*`` is, with a
    weight above 0 (``q=0`` refuses it). The highest weight wins, ties go to the
    earlier of ``available``, and a coding is chosen over the identity unless the
    client gives ``identity`` a higher weight. No Accept-Encoding: the identity.

    .. versionchanged:: 0.2.0 Decided by asgikit-core's
       :func:`asgikit.headers.accept.negotiate_encoding`, with ``identity`` offered last.
    """
    if not accept_encoding or not available:
        return None
    chosen = _accept.negotiate_encoding(accept_encoding, [*available, "identity"])
    return None if chosen is None or chosen == "identity" else chosen
