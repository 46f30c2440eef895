"""The JSON codec convention shared by requests, responses and websockets.

A codec is passed in per call (``read_json(loads=orjson.loads)``,
``respond_json(obj, dumps=orjson.dumps)``), never configured globally. The defaults use
the standard library: compact separators, UTF-8 text as is, and NaN or infinities
refused, since they are not JSON.

A lone surrogate (``"\\ud800"``) never gets through and never causes a 500. RFC 8259
§8.2 leaves its meaning unpredictable and RFC 7493 §2.1 (I-JSON) forbids it, so
:func:`loads` refuses one with :class:`~asgikit.errors.InvalidJSONError` (400), whatever
the codec; and :func:`dumps` escapes one as ``\\udXXX``, since a ``str`` holding it cannot
be encoded as UTF-8.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

from asgikit.errors import InvalidJSONError

__all__ = ["JSONDumps", "JSONLoads", "JSONTextLoads", "dumps", "loads"]

JSONLoads = Callable[[bytes], Any]
"""Decodes a request body (``json.loads``, ``orjson.loads``, ``msgspec.json.decode``)."""
JSONTextLoads = Callable[[str | bytes], Any]
"""Decodes a websocket message, text or binary."""
JSONDumps = Callable[[Any], str | bytes]

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_ascii_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False)

# What json.loads does with no options, for loads() to call directly (below).
_stdlib_loads: Final = json.loads
_decoder: Final = json.JSONDecoder()

_surrogate = re.compile("[\ud800-\udfff]").search
# Where a decoded string may come to hold a surrogate: a \u escape of one (D800-DFFF),
# or one encoded in UTF-8 bytes (ED A0-BF), which json.loads lets through. UTF-16 and
# UTF-32 bodies (a NUL among the first four bytes, since JSON text starts with ASCII)
# are always checked. Anything else holds none, and the result need not be walked.
_maybe_surrogate_bytes = re.compile(rb"\\u[dD][89abcdefABCDEF]|\xed[\xa0-\xbf]").search
_maybe_surrogate_text = re.compile(r"\\u[dD][89abcdefABCDEF]|[\ud800-\udfff]").search


def dumps(value: Any) -> str:
    """Compact JSON text; ``ValueError`` for NaN and infinities.

    Text is kept as is, unless it holds a lone surrogate: then non-ASCII characters are
    written as ``\\uXXXX`` escapes, so that the result always encodes as UTF-8.
    """
    text = _encoder.encode(value)
    if not text.isascii() and _surrogate(text):
        return _ascii_encoder.encode(value)
    return text


def _holds_surrogate(value: Any) -> bool:
    """Whether a decoded value has a lone surrogate in a string, key or value; iterative,
    so that depth costs no recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _surrogate(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def _may_hold_surrogate(data: str | bytes) -> bool:
    if isinstance(data, str):
        if data.isascii() and "\\u" not in data:  # no surrogate, and no escape of one
            return False
        return _maybe_surrogate_text(data) is not None
    # Two byte searches (memchr-fast) find most bodies free of both prefixes, without
    # the regular expression, whose alternation tries each position. find(), not `in`:
    # `bytes in bytes` first tries the operand as an int and formats a TypeError.
    if (data.find(b"\\u") >= 0 or data.find(b"\xed") >= 0) and _maybe_surrogate_bytes(
        data
    ) is not None:
        return True
    return data.find(b"\0", 0, 4) >= 0


def loads(
    data: str | bytes, codec: Callable[[Any], Any] = json.loads, *, what: str = "the data"
) -> Any:
    """``codec(data)``, with every way a codec rejects its input raising
    :class:`~asgikit.errors.InvalidJSONError` (400) that names ``what``, a lone surrogate
    in a string included."""
    try:
        if (
            codec is _stdlib_loads
            and type(data) is bytes
            and data[:1] < b"\x80"
            and data.find(b"\0", 0, 4) < 0
        ):
            # json.loads(data), without its detour: bytes that start with an ASCII
            # character and hold no NUL in their first four are UTF-8 to json.loads
            # (no BOM, not UTF-16/32), which it decodes with surrogatepass. The text is
            # checked for surrogates then, and ASCII text without an escape holds none.
            data = data.decode("utf-8", "surrogatepass")
            value = _decoder.decode(data)
            if data.isascii() and "\\u" not in data:
                return value
        else:
            value = codec(data)
    except ValueError as exc:  # json, orjson and msgspec decode errors are ValueErrors
        raise InvalidJSONError(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidJSONError(f"{what} is JSON nested too deeply") from None
    if _may_hold_surrogate(data) and _holds_surrogate(value):
        # RFC 8259 §8.2, RFC 7493 §2.1: such a string has no interoperable meaning.
        raise InvalidJSONError(
            f"{what} is not valid JSON: a string holds a lone surrogate (RFC 7493 §2.1)"
        )
    return value
