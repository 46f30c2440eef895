"""``application/x-www-form-urlencoded`` data: query strings and urlencoded bodies.

WHATWG URL §5.1: the byte string is split on ``&`` only (never ``;``), each item on its
first ``=``; in each name and value ``+`` becomes a space and ``%XX`` escapes become the
bytes they name, and only then is the byte sequence decoded, once, as UTF-8 (or the given
charset). Raw non-ASCII bytes and escapes in one value are thus decoded together, never
twice. The number of fields is capped before any decoding work is done.
"""

from __future__ import annotations

import codecs
import re
from typing import Final, Literal
from urllib.parse import unquote_to_bytes

from asgikit.errors import ContentTooLargeError, InvalidEncodingError
from asgikit.headers import decode_text, lookup_charset
from asgikit.multivalue import MultiValueDict

__all__ = ["DEFAULT_MAX_FIELDS", "parse_urlencoded"]

DEFAULT_MAX_FIELDS: Final = 1000

_WHAT: Final = "form or query data"
_ASCII: Final = bytes(range(128))
_ascii_compatible: Final[dict[str, bool]] = {}
_escapes: Final = re.compile(rb"((?:%[0-9A-Fa-f]{2})+)")


def parse_urlencoded(
    data: str | bytes,
    *,
    max_fields: int = DEFAULT_MAX_FIELDS,
    encoding: str = "utf-8",
    errors: Literal["strict", "replace"] = "replace",
    option: str = "max_fields",
) -> MultiValueDict[str]:
    """Parse urlencoded ``data`` into a :class:`MultiValueDict`, in arrival order.

    Each name and value is percent-decoded to bytes (``+`` is a space), then decoded
    once with ``encoding``. A ``str`` is first encoded as UTF-8, as WHATWG
    ``URLSearchParams`` does. More than ``max_fields`` fields raise
    :class:`ContentTooLargeError` (413) naming ``option``, the keyword that lifts the
    limit. With ``errors="strict"``, bytes that do not decode with ``encoding`` raise
    :class:`InvalidEncodingError` (400); with ``"replace"`` they become U+FFFD.

    An ``encoding`` that is not ASCII-compatible (UTF-16, EBCDIC) cannot spell the
    ``&``, ``=``, ``+`` and ``%`` the format is made of, so with one the unescaped bytes
    are read as ASCII and only the ``%XX`` runs are decoded with ``encoding``.

    .. versionchanged:: 0.2.0 raw non-ASCII bytes next to escapes are no longer decoded twice.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    result: MultiValueDict[str] = MultiValueDict()
    if not raw:
        return result
    # Count before splitting, so a hostile string is refused before any work on its parts.
    if raw.count(b"&") >= max_fields and sum(1 for item in raw.split(b"&") if item) > max_fields:
        raise ContentTooLargeError(
            f"more than {max_fields} fields",
            limit=max_fields,
            option=option,
        )
    codec = lookup_charset(encoding)
    if not _is_ascii_compatible(codec):
        for item in raw.split(b"&"):
            if item:
                name, _, value = item.partition(b"=")
                result.add(_decode_runs(name, codec, errors), _decode_runs(value, codec, errors))
        return result
    add = result.add
    for item in raw.split(b"&"):
        if not item:
            continue
        name, _, value = item.partition(b"=")
        add(_decode(name, codec, errors), _decode(value, codec, errors))
    return result


def _decode(raw: bytes, codec: str, errors: Literal["strict", "replace"]) -> str:
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        raw = unquote_to_bytes(raw)
    try:
        return raw.decode(codec, errors)
    except (UnicodeError, ValueError):
        raise InvalidEncodingError(f"{_WHAT} that is not valid {codec}") from None


def _decode_runs(raw: bytes, encoding: str, errors: Literal["strict", "replace"]) -> str:
    # Even items are literal bytes (ASCII by the format), odd ones runs of escapes.
    out = []
    for index, piece in enumerate(_escapes.split(raw.replace(b"+", b" "))):
        if index % 2:
            out.append(decode_text(unquote_to_bytes(piece), encoding, errors=errors, what=_WHAT))
        elif piece:
            try:
                out.append(piece.decode("ascii", errors))
            except UnicodeDecodeError:
                raise InvalidEncodingError(
                    f"{_WHAT} with raw bytes that are not ASCII, sent as {encoding}"
                ) from None
    return "".join(out)


def _is_ascii_compatible(encoding: str) -> bool:
    codec = lookup_charset(encoding)
    known = _ascii_compatible.get(codec)
    if known is None:
        try:
            known = codecs.decode(_ASCII, codec) == _ASCII.decode("ascii")
        except (UnicodeError, ValueError):
            known = False
        _ascii_compatible[codec] = known
    return known
