"""``application/x-www-form-urlencoded`` data: query strings and urlencoded bodies.

WHATWG URL §5.1: the string is split on ``&`` only (never ``;``), each item on its first
``=``, ``+`` means a space and ``%XX`` escapes are decoded as UTF-8 (or the given
charset). The number of fields is capped before any decoding work is done.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import unquote_to_bytes

from asgikit.errors import ContentTooLargeError
from asgikit.headers import decode_text
from asgikit.multivalue import MultiValueDict

__all__ = ["DEFAULT_MAX_FIELDS", "parse_urlencoded"]

DEFAULT_MAX_FIELDS = 1000


def parse_urlencoded(
    data: str | bytes,
    *,
    max_fields: int = DEFAULT_MAX_FIELDS,
    encoding: str = "utf-8",
    errors: Literal["strict", "replace"] = "replace",
    option: str = "max_fields",
) -> MultiValueDict[str]:
    """Parse urlencoded ``data`` into a :class:`MultiValueDict`, in arrival order.

    More than ``max_fields`` fields raise :class:`ContentTooLargeError` (413) naming
    ``option``, the keyword that lifts the limit. With ``errors="strict"``, bytes that do
    not decode with ``encoding`` raise :class:`InvalidEncodingError` (400); with
    ``"replace"`` they become U+FFFD.
    """
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    result: MultiValueDict[str] = MultiValueDict()
    if not text:
        return result
    # Count before splitting, so a hostile string is refused before any work on its parts.
    if text.count("&") >= max_fields and sum(1 for item in text.split("&") if item) > max_fields:
        raise ContentTooLargeError(
            f"more than {max_fields} fields",
            limit=max_fields,
            option=option,
        )
    for item in text.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        result.add(_unquote(name, encoding, errors), _unquote(value, encoding, errors))
    return result


def _unquote(text: str, encoding: str, errors: Literal["strict", "replace"]) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        if text.isascii():
            return text
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            return text
    else:
        raw = unquote_to_bytes(text)
    return decode_text(raw, encoding, errors=errors, what="form or query data")
