"""Comma-separated header lists (RFC 9110 §5.6.1) and quoted strings (§5.6.4), read in
one forward pass: each search starts where the previous one stopped, so no input makes
the work grow faster than its length."""

from __future__ import annotations

import re

# RFC 9110 §5.6.2: token = 1*tchar
is_token = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch


def split_list(value: str) -> list[str]:
    """The elements of a ``#rule`` list, stripped, empty ones dropped; commas inside
    quoted strings do not split (an unterminated quote runs to the end)."""
    if '"' not in value:
        parts = value.split(",")
    else:
        parts = []
        start = pos = 0
        # The next ',' and '"' are searched again only once passed.
        comma = quote = -2
        while True:
            if comma != -1 and comma < pos:
                comma = value.find(",", pos)
            if quote != -1 and quote < pos:
                quote = value.find('"', pos)
            if comma < 0:
                parts.append(value[start:])
                break
            if quote < 0 or comma < quote:
                parts.append(value[start:comma])
                start = pos = comma + 1
                continue
            pos = skip_quoted(value, quote + 1)
            if pos < 0:
                parts.append(value[start:])
                break
    return [stripped for part in parts if (stripped := part.strip(" \t"))]


def skip_quoted(value: str, pos: int) -> int:
    """The index after the quoted string whose text starts at ``pos`` (just after its
    opening quote), or -1 when it is not closed."""
    quote = -2
    while True:
        if quote < pos:
            quote = value.find('"', pos)
            if quote < 0:
                return -1
        backslash = value.find("\\", pos, quote)
        if backslash < 0:
            return quote + 1
        pos = backslash + 2


def unquote(text: str) -> str:
    """The text of a quoted-string given with its quotes (escapes undone), or ``text``
    itself when it is not quoted."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return text
    inner = text[1:-1]
    if "\\" not in inner:
        return inner
    out: list[str] = []
    pos = 0
    end = len(inner)
    while pos < end:
        backslash = inner.find("\\", pos)
        if backslash < 0 or backslash + 1 >= end:
            out.append(inner[pos:])
            break
        out.append(inner[pos:backslash])
        out.append(inner[backslash + 1])
        pos = backslash + 2
    return "".join(out)


def quote(text: str) -> str:
    """``text`` as a quoted-string: ``"`` and ``\\`` escaped (RFC 9110 §5.6.4)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def token_or_quoted(text: str) -> str:
    """``text`` as it is when it is a token, else as a quoted-string."""
    return text if is_token(text) else quote(text)
