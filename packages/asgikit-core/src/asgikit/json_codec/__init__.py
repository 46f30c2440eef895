"""The JSON codec convention shared by requests, responses and websockets.

A codec is passed in per call (``read_json(loads=orjson.loads)``,
``respond_json(obj, dumps=orjson.dumps)``), never configured globally. The defaults use
the standard library: compact separators, UTF-8 text as is, and NaN or infinities
refused, since they are not JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from asgikit.errors import InvalidJSONError

__all__ = ["JSONDumps", "JSONLoads", "JSONTextLoads", "dumps", "loads"]

JSONLoads = Callable[[bytes], Any]
"""Decodes a request body (``json.loads``, ``orjson.loads``, ``msgspec.json.decode``)."""
JSONTextLoads = Callable[[str | bytes], Any]
"""Decodes a websocket message, text or binary."""
JSONDumps = Callable[[Any], str | bytes]

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def dumps(value: Any) -> str:
    """Compact JSON text; ``ValueError`` for NaN and infinities."""
    return _encoder.encode(value)


def loads(
    data: str | bytes, codec: Callable[[Any], Any] = json.loads, *, what: str = "the data"
) -> Any:
    """``codec(data)``, with every way a codec rejects its input raising
    :class:`~asgikit.errors.InvalidJSONError` (400) that names ``what``."""
    try:
        return codec(data)
    except ValueError as exc:  # json, orjson and msgspec decode errors are ValueErrors
        raise InvalidJSONError(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidJSONError(f"{what} is JSON nested too deeply") from None
