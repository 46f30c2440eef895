"""Building the ``Vary`` response header (RFC 9110 §12.5.5).

A response whose content depends on request headers (chosen by ``Accept``, by
``Accept-Encoding``, ...) must name them in ``Vary``, or a cache may serve it to a client
that asked for something else. Several parts of an app may each add names: these
functions merge them into one value, each name once.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

from asgikit.errors import HeaderValueError
from asgikit.headers import MutableHeaders, _lists

__all__ = ["add_vary", "merge_vary"]


def merge_vary(*values: str) -> str:
    """One ``Vary`` value from ``values``, each a field name or a comma-separated list.

    Names are compared without case (RFC 9110 §5.1) and kept once, in the order and the
    spelling they first appear; ``*`` ("varies on more than headers") absorbs every
    other name. A name that is not a token raises
    :class:`~asgikit.errors.HeaderValueError`.
    """
    seen: dict[str, str] = {}
    for value in values:
        for name in value.split(","):
            name = name.strip(" \t")
            if not name:
                continue
            if not _lists.is_token(name):
                raise HeaderValueError(f"invalid Vary field name {name!r}: it must be a token")
            if name == "*":
                return "*"
            seen.setdefault(name.lower(), name)
    return ", ".join(seen.values())


def add_vary(headers: MutableHeaders, *names: str) -> None:
    """Add ``names`` to the ``Vary`` of response ``headers`` (``request.response.headers``),
    merged with the lines already there into one line (see :func:`merge_vary`).

    ``add_vary(request.response.headers, "Accept")``; nothing changes when there is
    nothing to add.
    """
    merged = merge_vary(*headers.get_all("vary"), *names)
    if merged:
        headers["vary"] = merged
