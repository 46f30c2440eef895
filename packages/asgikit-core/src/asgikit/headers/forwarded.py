"""RFC 7239 ``Forwarded``: a lenient, linear parser and a strict builder. Pure: no I/O.

Applying the header to a request, with the trust it needs, is
:func:`asgikit.proxies.apply_forwarded`.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

from asgikit.errors import HeaderValueError

__all__ = ["build_forwarded", "parse_forwarded"]

# RFC 9110 §5.6.2: tchar.
_TCHAR = frozenset("!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits)
_OWS = frozenset(" \t")
_SEPARATORS = frozenset(";,")


def _is_qdchar(c: str) -> bool:
    # RFC 9110 §5.6.4: qdtext and quoted-pair allow HTAB, SP, VCHAR and obs-text.
    o = ord(c)
    return o == 0x09 or 0x20 <= o <= 0x7E or 0x80 <= o <= 0xFF


def _quoted(value: str, pos: int) -> tuple[str | None, int]:
    """The quoted-string opening at ``pos``: (its text, or ``None`` when it holds a
    character it may not; the position after its closing quote, or the end)."""
    n = len(value)
    i = pos + 1
    out: list[str] = []
    valid = True
    while i < n:
        c = value[i]
        if c == '"':
            return ("".join(out) if valid else None), i + 1
        if c == "\\":
            i += 1
            if i >= n:
                break
            c = value[i]
        if not _is_qdchar(c):
            valid = False
        out.append(c)
        i += 1
    return None, n


def _skip(value: str, pos: int) -> int:
    """The position of the next ``;`` or ``,`` at or after ``pos`` that is not inside a
    quoted-string (the end of ``value`` when there is none)."""
    n = len(value)
    i = pos
    quoted = False
    while i < n:
        c = value[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c in _SEPARATORS:
            return i
        i += 1
    return n


def parse_forwarded(value: str) -> list[dict[str, str]]:
    """The elements of a ``Forwarded`` field value (RFC 7239 §4), nearest proxy last.

    Each element is a dict of lower-cased parameter names (``for``, ``by``, ``proto``,
    ``host``, extensions) to their values, quoted-strings unquoted; values are not
    checked here (``for=unknown`` stays as it is). Several header lines are read as one,
    joined by ``,``.

    Never raises, and takes time linear in ``len(value)``. Malformed input is dropped
    field by field, keeping the position of every element, because the position says
    which proxy wrote it: an empty list element is skipped (RFC 9110 §5.6.1); a pair that
    does not parse, or a parameter given twice in one element (RFC 7239 §4: "MUST NOT
    occur more than once"), is left out of its element; an element with no valid pair
    is an empty dict.
    """
    elements: list[dict[str, str]] = []
    pairs: dict[str, str] = {}
    repeated: set[str] = set()
    seen_pair = False
    n = len(value)
    i = 0
    while True:
        while i < n and value[i] in _OWS:
            i += 1
        if i >= n or value[i] == ",":
            if seen_pair:
                for name in repeated:
                    pairs.pop(name, None)
                elements.append(pairs)
            if i >= n:
                return elements
            pairs, repeated, seen_pair = {}, set(), False
            i += 1
            continue
        if value[i] == ";":
            i += 1
            continue
        seen_pair = True
        start = i
        while i < n and value[i] in _TCHAR:
            i += 1
        name = value[start:i].lower()
        text: str | None = None
        if name and i < n and value[i] == "=":
            i += 1
            if i < n and value[i] == '"':
                text, i = _quoted(value, i)
            else:
                start = i
                while i < n and value[i] in _TCHAR:
                    i += 1
                text = value[start:i] or None
            while i < n and value[i] in _OWS:
                i += 1
            if i < n and value[i] not in _SEPARATORS:
                text = None
        if text is None:
            i = _skip(value, i)
            continue
        if name in pairs:
            repeated.add(name)
        pairs[name] = text


def _format_value(name: str, value: str) -> str:
    if value and all(c in _TCHAR for c in value):
        return value
    if not all(_is_qdchar(c) for c in value):
        raise HeaderValueError(
            f"Forwarded {name}={value[:64]!r}: only tab, printable ASCII and latin-1 "
            "characters can be sent"
        )
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_forwarded(elements: Iterable[Mapping[str, str]]) -> str:
    """A ``Forwarded`` field value from ``elements`` (nearest proxy last), each a mapping
    of parameter names to values; values that are not tokens are quoted (``for`` with an
    IPv6 address must be: ``{"for": "[2001:db8::1]"}`` gives ``for="[2001:db8::1]"``).

    Raises :class:`~asgikit.errors.HeaderValueError` (a ``ValueError``) for an empty
    element, a name that is not a token or is given twice (in any case), or a value with
    characters a header cannot carry.
    """
    parts: list[str] = []
    for element in elements:
        if not element:
            raise HeaderValueError("a Forwarded element needs at least one parameter")
        names: set[str] = set()
        pairs: list[str] = []
        for name, value in element.items():
            low = name.lower()
            if not name or not all(c in _TCHAR for c in name) or low in names:
                raise HeaderValueError(f"invalid or repeated Forwarded parameter {name!r}")
            names.add(low)
            pairs.append(f"{name}={_format_value(name, value)}")
        parts.append(";".join(pairs))
    return ", ".join(parts)
