"""The Content-Disposition field: parsed (RFC 6266, RFC 8187, and the WHATWG rules of
``multipart/form-data`` part headers) and built for downloads.

:func:`parse_content_disposition` reads the value of a response's field
(``attachment; filename*=UTF-8''%E2%82%AC.pdf``) or, with ``form_data=True``, of a
multipart part header (``form-data; name="a"; filename="b.txt"``) into a
:class:`ContentDisposition`; :func:`content_disposition` builds the value that makes a
client save a body under a given name. Pure functions, linear in their input: the
parameters are scanned once, with no backtracking.

New in asgikit-core 0.2 (the builder moved from asgikit-files, which re-exports it; the
form-data reading from asgikit-forms).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes

from asgikit.headers import _scan_parameters, parse_parameters

__all__ = [
    "ContentDisposition",
    "content_disposition",
    "decode_ext_value",
    "parse_content_disposition",
]


@dataclass(frozen=True, slots=True)
class ContentDisposition:
    """A parsed ``Content-Disposition`` value.

    ``type`` is the disposition type, lower-cased (``"attachment"``, ``"inline"``,
    ``"form-data"``; ``""`` when absent). ``params`` maps each parameter name,
    lower-cased, to its value, the first occurrence of a name winning; quoted strings
    lose their quotes. An extended parameter (``filename*``) keeps its star and holds
    its decoded text (:func:`decode_ext_value`); one that does not decode is left out.
    """

    type: str
    params: dict[str, str]

    @property
    def filename(self) -> str | None:
        """The file name the sender proposes: ``filename*`` when present and decoded,
        else ``filename`` (RFC 6266 §4.3: "when both ... are present in a single header
        field value, recipients SHOULD pick filename*"), else ``None``. It is client
        text: reduce it to a safe base name before using it as a path."""
        extended = self.params.get("filename*")
        return extended if extended is not None else self.params.get("filename")

    @property
    def name(self) -> str | None:
        """The ``name`` parameter (a form field's name), or ``None``."""
        return self.params.get("name")


# RFC 8187 §3.2.1: value-chars = *( pct-encoded / attr-char ).
_value_chars = re.compile(r"(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-Fa-f]{2})*").fullmatch
_EXT_CHARSETS = {"utf-8": "utf-8", "iso-8859-1": "latin-1"}


def decode_ext_value(value: str) -> str | None:
    """The text of an RFC 8187 ext-value (``UTF-8'en'%E2%82%AC%20rates``), or ``None``
    when it is not one.

    RFC 8187 §3.2.1: ``ext-value = charset "'" [ language ] "'" value-chars``; the
    charsets every recipient must support, ``UTF-8`` and ``ISO-8859-1``, are accepted
    (in any case), others give ``None``, as do a character outside ``value-chars``, a
    stray ``%`` and bytes that do not decode. The language is not checked.
    """
    charset, quote1, rest = value.partition("'")
    _, quote2, encoded = rest.partition("'")
    codec = _EXT_CHARSETS.get(charset.strip(" \t").lower())
    if not quote1 or not quote2 or codec is None or not _value_chars(encoded):
        return None
    try:
        return unquote_to_bytes(encoded).decode(codec)
    except UnicodeDecodeError:
        return None


def parse_content_disposition(value: str, *, form_data: bool = False) -> ContentDisposition:
    """Parse a ``Content-Disposition`` value; never raises on any input.

    By default the rules of a response's field (RFC 6266 §4.1, whose parameters follow
    RFC 9110 §5.6.6): a backslash in a quoted string escapes the next character, and
    ``filename*`` is an RFC 8187 ext-value, decoded, which :attr:`ContentDisposition.filename`
    prefers to ``filename``.

    With ``form_data=True``, the rules of a ``multipart/form-data`` part header as
    browsers and curl write it (the WHATWG HTML "multipart/form-data encoding
    algorithm"): a backslash is itself (a quote travels as ``%22``), so a quoted string
    ends at the next ``"``; ``%0D``, ``%0A`` and ``%22`` in ``name`` and ``filename``
    stand for CR, LF and ``"``, and nothing else is percent-decoded; extended
    parameters (``filename*``) are left out, as RFC 7578 §4.2 forbids them. Only the
    parameters at the top level count: a ``filename=`` inside another parameter's
    quoted string is never taken as one.
    """
    if not form_data:
        kind, params = parse_parameters(value)
        for key in [key for key in params if key.endswith("*")]:
            text = decode_ext_value(params[key])
            if text is None:
                del params[key]
            else:
                params[key] = text
        return ContentDisposition(kind, params)
    kind, params = _scan_parameters(value, escapes=False)
    for key in [key for key in params if key.endswith("*")]:
        del params[key]
    for key in ("name", "filename"):
        text = params.get(key)
        if text is not None and "%" in text:
            params[key] = text.replace("%0D", "\r").replace("%0A", "\n").replace("%22", '"')
    return ContentDisposition(kind, params)


# RFC 8187 §3.2.1: attr-char = ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "."
#                              / "^" / "_" / "`" / "|" / "~"; quote() keeps A-Z a-z 0-9 _.-~
_ATTR_SAFE = "!#$&+^`|"
# Replaced in both forms: path separators, and in the quoted ASCII form the characters
# a quoted-string would need to escape ("\ and DQUOTE) and "%", which some browsers decode.
_UNSAFE_ASCII = frozenset('"\\/%')


def content_disposition(filename: str, *, disposition: str = "attachment") -> str:
    """A ``Content-Disposition`` value that makes the client save the body as ``filename``.

    RFC 6266 §4.3: ``filename="..."`` holds an ASCII fallback, where accents are
    dropped (``résumé.pdf`` → ``resume.pdf``) and any other character that is not
    printable ASCII, and ``"``, ``\\``, ``/`` and ``%``, becomes ``_``. When that differs
    from the name, ``filename*=UTF-8''...`` (RFC 8187) carries the name percent-encoded.
    Control characters (CR, LF, NUL, ...) and path separators become ``_`` in both, so a
    name from user input cannot add a header or parameter, or a directory. An empty name
    becomes ``download``. ``disposition`` is ``"attachment"`` or ``"inline"``.
    """
    if disposition not in ("attachment", "inline"):
        raise ValueError(f"disposition must be 'attachment' or 'inline', not {disposition!r}")
    cleaned = "".join(
        "_" if ch in "/\\" or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in filename
    ).strip()
    if not cleaned:
        cleaned = "download"
    fallback = "".join(
        ch if " " <= ch <= "~" and ch not in _UNSAFE_ASCII else "_"
        for ch in unicodedata.normalize("NFKD", cleaned)
        if not unicodedata.combining(ch)
    )
    value = f'{disposition}; filename="{fallback}"'
    if fallback != cleaned:
        value += "; filename*=UTF-8''" + quote(cleaned, safe=_ATTR_SAFE, errors="replace")
    return value
