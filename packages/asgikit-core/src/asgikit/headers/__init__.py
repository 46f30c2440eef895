"""Request and response headers, and the grammar of header parameters.

Request headers stay the server's raw ``(name, value)`` byte pairs until a lookup needs
them; duplicates are kept and values are never re-split. Response headers are validated
when set: a name must be an RFC 9110 token and a value may not hold CR, LF, NUL or any
other control but HTAB, so no header built from user input can split a response.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Final, TypeVar, overload

from asgikit.errors import (
    HeaderValueError,
    InvalidEncodingError,
    MalformedHeaderError,
    ResponseStateError,
)

__all__ = [
    "Headers",
    "RawHeaders",
    "MutableHeaders",
    "encode_header_name",
    "decode_text",
    "encode_header_value",
    "lookup_charset",
    "parse_content_length",
    "parse_content_type",
    "parse_parameters",
]

RawHeaders = list[tuple[bytes, bytes]]
_T = TypeVar("_T")

# RFC 9110 §5.6.2: token = 1*tchar
_is_token: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch
# RFC 9110 §5.5: field-value is VCHAR, obs-text, SP and HTAB; every other control is refused.
_forbidden_in_value: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]").search


def encode_header_name(name: str) -> bytes:
    """Lower-case and encode a header name, refusing anything that is not a token."""
    if not _is_token(name):
        raise HeaderValueError(f"invalid header name {name!r}: it must be an RFC 9110 token")
    return name.lower().encode("ascii")


def encode_header_value(value: str) -> bytes:
    """Encode a header value as latin-1, refusing CR, LF, NUL and the other controls."""
    if _forbidden_in_value(value):
        raise HeaderValueError(
            f"invalid header value {value!r}: control characters (CR, LF, NUL, ...) "
            "would let it split the response"
        )
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        raise HeaderValueError(
            f"invalid header value {value!r}: header values are latin-1; "
            "percent-encode other characters"
        ) from None


# Names recur across requests: each is decoded or encoded once, and the caches are
# bounded so that clients sending made-up names cannot grow them.
_decoded_names: Final[dict[bytes, str]] = {}
_encoded_names: Final[dict[str, bytes]] = {}
_MAX_CACHED_NAMES: Final = 512
# Names seen in lower case (no ASCII capital), so that the index of a request whose names
# are all known skips joining and checking them; bounded as the caches above.
_lower_names: Final[set[bytes]] = set()


def _name_key(name: str) -> bytes | None:
    key = _encoded_names.get(name)
    if key is None:
        try:
            # Encoded first, then lower-cased as bytes: ASCII letters only, as the names
            # on the wire are compared ("\u212a".lower() is "k"; "\xc9" stays itself).
            key = name.encode("latin-1").lower()
        except UnicodeEncodeError:
            return None
        if len(_encoded_names) < _MAX_CACHED_NAMES:
            _encoded_names[name] = key
    return key


def _decode_name(name: bytes) -> str:
    text = _decoded_names.get(name)
    if text is None:
        text = name.decode("latin-1")
        if len(_decoded_names) < _MAX_CACHED_NAMES:
            _decoded_names[name] = text
    return text


class Headers(Mapping[str, str]):
    """Read-only, case-insensitive view of request headers.

    ``headers[name]`` and ``headers.get(name)`` give the first value of ``name``;
    :meth:`get_all` gives every value in order. Text is latin-1, as HTTP defines it.

    The index is built on first lookup, at C speed for the usual case: names lower-cased
    by the server (as the ASGI spec asks) and each sent once. Repeated names, and names a
    non-conforming server did not lower-case, take a slower path that merges every case
    of a name (RFC 9110 §5.3: field names are case-insensitive).
    """

    __slots__ = ("_first", "_multi", "_raw")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]] = ()) -> None:
        self._raw = raw if isinstance(raw, list) else list(raw)
        self._first: dict[bytes, bytes] | None = None
        self._multi: dict[bytes, list[bytes]] | None = None

    def _index(self) -> dict[bytes, bytes]:
        raw = self._raw
        first: dict[bytes, bytes] = dict(raw)
        # A repeated name, or a name not in lower case (which may repeat another in a
        # different case): the slow path lower-cases and keeps every value.
        if len(first) != len(raw):
            first = self._rebuild()
        elif not first.keys() <= _lower_names:
            if not b"".join(first).islower():
                first = self._rebuild()
            elif len(_lower_names) + len(first) <= _MAX_CACHED_NAMES:
                _lower_names.update(first)
        self._first = first
        return first

    def _rebuild(self) -> dict[bytes, bytes]:
        first: dict[bytes, bytes] = {}
        multi: dict[bytes, list[bytes]] = {}
        for name, value in self._raw:
            key = name.lower()
            if key in first:
                values = multi.get(key)
                if values is None:
                    multi[key] = [first[key], value]
                else:
                    values.append(value)
            else:
                first[key] = value
        self._multi = multi or None
        return first

    def _get(self, name: str) -> bytes | None:
        key = _name_key(name)
        if key is None:
            return None
        return (self._index() if self._first is None else self._first).get(key)

    def _value(self, key: bytes) -> bytes | None:
        """The first value of ``key``, a name in lower case as bytes (a name the caller
        knows, such as ``b"content-type"``: :meth:`get` without decoding either side)."""
        first = self._first
        return (self._index() if first is None else first).get(key)

    def _content_length(self) -> int | None:
        """:func:`parse_content_length` of every Content-Length line; one line of digits
        (the usual case) is read without building the list."""
        first = self._first
        value = (self._index() if first is None else first).get(b"content-length")
        if value is None:
            return None
        if self._multi is None and value.isdigit() and len(value) <= _MAX_LENGTH_DIGITS:
            return int(value)
        return parse_content_length(self.get_raw("content-length"))

    @property
    def raw(self) -> RawHeaders:
        """The headers as the server gave them: a list of ``(name, value)`` byte pairs."""
        return self._raw

    def get_raw(self, name: str) -> list[bytes]:
        """Every value of ``name`` as bytes, in the order received; ``[]`` when absent."""
        value = self._get(name)
        if value is None:
            return []
        if self._multi is not None:
            values = self._multi.get(_name_key(name) or b"")
            if values is not None:
                return list(values)
        return [value]

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in the order received; ``[]`` when absent."""
        return [value.decode("latin-1") for value in self.get_raw(name)]

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, default: str, /) -> str: ...
    @overload
    def get(self, name: str, default: _T, /) -> str | _T: ...
    def get(self, name: str, default: object = None, /) -> object:
        """The first value of ``name``, or ``default`` when absent."""
        value = self._get(name)
        return default if value is None else value.decode("latin-1")

    def __getitem__(self, name: str) -> str:
        value = self._get(name)
        if value is None:
            raise KeyError(name)
        return value.decode("latin-1")

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._get(name) is not None

    def __iter__(self) -> Iterator[str]:
        return (_decode_name(name) for name in self._first or self._index())

    def __len__(self) -> int:
        return len(self._first or self._index())

    def multi_items(self) -> list[tuple[str, str]]:
        """Every line as a ``(name, value)`` pair, repeats included, in the order
        received; names lower-cased, as the keys are."""
        return [(_decode_name(name.lower()), value.decode("latin-1")) for name, value in self._raw]

    def __repr__(self) -> str:
        return f"Headers({[(n.decode('latin-1'), v.decode('latin-1')) for n, v in self._raw]!r})"


class MutableHeaders(MutableMapping[str, str]):
    """Response headers: an ordered list of lines where every value is its own line.

    As a mapping it has the same shape as the request's :class:`Headers`: one key per
    name, lower-cased, in the order each name first appears; ``headers[name]``,
    :meth:`get`, ``values()`` and ``items()`` give a name's first value, and ``len()``
    counts names, not lines. The lines themselves, repeats included, are in
    :meth:`multi_items`, :meth:`get_all` and :attr:`raw`.

    Writing follows :class:`dict`: ``headers[name] = value`` (and ``update``) replaces
    every line of ``name`` with one line, kept where the first one was;
    ``del headers[name]`` removes every line of ``name`` and raises :class:`KeyError`
    when there is none (:meth:`remove` does not). :meth:`add` appends a line, keeping
    the others: the way to send a name twice. Names and values are checked when set
    (:class:`~asgikit.errors.HeaderValueError`); once the response has started every
    change raises :class:`~asgikit.errors.ResponseStateError`.

    .. versionchanged:: 0.2.0 a full :class:`collections.abc.MutableMapping` (iteration, ``keys``,
    ``values``, ``pop``, ``update``, ...); ``items()`` and ``len()`` count names, no
    longer lines (:meth:`multi_items` gives the lines); ``del`` of an absent name
    raises :class:`KeyError`; :meth:`set` keeps the position of the name's first line.
    """

    __slots__ = ("_frozen", "_raw")

    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]] = (), /) -> None:
        self._raw: RawHeaders = []
        self._frozen: str | None = None
        if isinstance(headers, (MutableHeaders, Headers)):
            items: Iterable[tuple[str, str]] = headers.multi_items()
        elif isinstance(headers, Mapping):
            items = headers.items()
        else:
            items = headers
        for name, value in items:
            self.add(name, value)

    @property
    def raw(self) -> RawHeaders:
        """The header lines as encoded ``(name, value)`` byte pairs."""
        return self._raw

    def freeze(self, reason: str) -> None:
        """Refuse every later change with :class:`ResponseStateError` saying ``reason``
        (the response does this when it starts: what is sent cannot change)."""
        self._frozen = reason

    def _check(self) -> None:
        if self._frozen is not None:
            raise ResponseStateError(f"cannot change the headers: {self._frozen}")

    def add(self, name: str, value: str) -> None:
        """Add a line, keeping any lines of the same name."""
        self._check()
        self._raw.append((encode_header_name(name), encode_header_value(value)))

    def set(self, name: str, value: str) -> None:
        """Replace every line of ``name`` with one line, where the first one was (at
        the end when ``name`` is new)."""
        self._check()
        key = encode_header_name(name)
        line = (key, encode_header_value(value))
        raw = self._raw
        for index, (current, _) in enumerate(raw):
            if current == key:
                raw[index] = line
                self._raw = raw[: index + 1] + [item for item in raw[index + 1 :] if item[0] != key]
                return
        raw.append(line)

    def setdefault(self, name: str, value: str) -> str:
        """Add ``name`` unless present; return its (first) value."""
        current = self.get(name)
        if current is None:
            self.add(name, value)
            return value
        return current

    def remove(self, name: str) -> None:
        """Remove every line of ``name``; no error when absent."""
        self._check()
        key = _name_key(name)
        self._raw = [item for item in self._raw if item[0] != key]

    def __delitem__(self, name: str) -> None:
        self._check()
        if name not in self:
            raise KeyError(name)
        self.remove(name)

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def clear(self) -> None:
        """Remove every line."""
        self._check()
        self._raw = []

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, default: str, /) -> str: ...
    @overload
    def get(self, name: str, default: _T, /) -> str | _T: ...
    def get(self, name: str, default: object = None, /) -> object:
        """The first value of ``name``, or ``default`` when absent."""
        key = _name_key(name)
        for current, value in self._raw:
            if current == key:
                return value.decode("latin-1")
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in the order added; ``[]`` when absent."""
        key = _name_key(name)
        return [value.decode("latin-1") for current, value in self._raw if current == key]

    def multi_items(self) -> list[tuple[str, str]]:
        """Every line as a ``(name, value)`` pair, repeats included, in order."""
        return [(_decode_name(name), value.decode("latin-1")) for name, value in self._raw]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = _name_key(name)
        return any(current == key for current, _ in self._raw)

    def __iter__(self) -> Iterator[str]:
        return iter([_decode_name(name) for name in dict.fromkeys(name for name, _ in self._raw)])

    def __len__(self) -> int:
        return len({name for name, _ in self._raw})

    def __eq__(self, other: object) -> bool:
        """Equal to headers with the same lines in the same order, or, like any mapping,
        to a mapping of each name to its first value."""
        if isinstance(other, MutableHeaders):
            return self._raw == other._raw
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"MutableHeaders({self.multi_items()!r})"


def parse_parameters(value: str) -> tuple[str, dict[str, str]]:
    """Split ``main; a=1; b="x;y"`` into ``("main", {"a": "1", "b": "x;y"})``, in one pass.

    RFC 9110 §5.6.6: ``parameters = *( OWS ";" OWS [ parameter ] )``,
    ``parameter = token "=" ( token / quoted-string )``. Names are lower-cased, the first
    occurrence of a name wins, quoted strings lose their quotes and escapes, and items
    without ``=`` are skipped. The cost is linear in ``len(value)`` whatever it holds:
    there is no backtracking, and every index only moves forward.
    """
    return _scan_parameters(value, escapes=True)


def _scan_parameters(value: str, *, escapes: bool) -> tuple[str, dict[str, str]]:
    """:func:`parse_parameters`, with ``escapes=False`` for the WHATWG form-data rule
    (a backslash in a quoted string is itself); the two agree on any value without one."""
    semi = value.find(";")
    if semi < 0:
        return value.strip().lower(), {}
    main = value[:semi].strip().lower()
    params: dict[str, str] = {}
    end = len(value)
    pos = semi
    # Positions of the next '=' and ';' are remembered and searched again only once
    # passed, so that "a;a;a;...=" costs one scan, not one scan per ';'.
    eq = next_semi = -2
    while pos < end:
        pos += 1  # past ';'
        if eq != -1 and eq < pos:
            eq = value.find("=", pos)
        if next_semi != -1 and next_semi < pos:
            next_semi = value.find(";", pos)
        if eq < 0:
            break
        if 0 <= next_semi < eq:
            pos = next_semi
            continue
        name = value[pos:eq].strip().lower()
        pos = eq + 1
        while pos < end and value[pos] in " \t":
            pos += 1
        if pos < end and value[pos] == '"':
            if escapes:
                text, pos = _quoted_string(value, pos + 1)
            else:
                close = value.find('"', pos + 1)
                if close < 0:
                    close = end
                text, pos = value[pos + 1 : close], min(close + 1, end)
            if next_semi != -1 and next_semi < pos:
                next_semi = value.find(";", pos)
            pos = end if next_semi < 0 else next_semi
        else:
            stop = end if next_semi < 0 else next_semi
            text = value[pos:stop].strip()
            pos = stop
        if name and name not in params:
            params[name] = text
    return main, params


def _quoted_string(value: str, pos: int) -> tuple[str, int]:
    """Read a quoted-string starting after its opening quote; return its text and the
    index after the closing quote (the end of ``value`` when unterminated)."""
    end = len(value)
    close = value.find('"', pos)
    if close < 0:
        close = end
    if "\\" not in value[pos:close]:
        return value[pos:close], min(close + 1, end)
    out: list[str] = []
    while pos < end:
        char = value[pos]
        if char == "\\" and pos + 1 < end:
            out.append(value[pos + 1])
            pos += 2
        elif char == '"':
            return "".join(out), pos + 1
        else:
            out.append(char)
            pos += 1
    return "".join(out), end


def parse_content_type(value: str | None) -> tuple[str | None, dict[str, str]]:
    """``"Text/HTML; Charset=\\"utf-8\\""`` → ``("text/html", {"charset": "utf-8"})``."""
    if value is None:
        return None, {}
    media_type, params = parse_parameters(value)
    return media_type or None, params


_MAX_LENGTH_DIGITS: Final = 19


def parse_content_length(values: list[bytes]) -> int | None:
    """Parse the Content-Length header lines strictly.

    RFC 9110 §8.6: ``Content-Length = 1*DIGIT``. A sign, an underscore, a non-ASCII digit,
    an empty value or lines that disagree raise :class:`MalformedHeaderError` (400).
    Identical repeated values are accepted, as the RFC allows.
    """
    if not values:
        return None
    if len(values) == 1:
        value = values[0]
        if value.isdigit() and len(value) <= _MAX_LENGTH_DIGITS:
            return int(value)
    result: int | None = None
    for raw in values:
        for item in raw.split(b","):
            item = item.strip(b" \t")
            if not item.isdigit() or len(item) > _MAX_LENGTH_DIGITS:
                raise MalformedHeaderError(
                    f"invalid Content-Length {raw.decode('latin-1')!r}: it must be digits only"
                )
            length = int(item)
            if result is not None and length != result:
                raise MalformedHeaderError("conflicting Content-Length values")
            result = length
    return result


# Codecs Python calls text encodings but that are no charset a client may choose: their
# decoders are for host names or Python literals, and punycode's cost is quadratic in
# its input, so a client naming it could stall the event loop.
_REFUSED_CODECS: Final = frozenset(
    {"punycode", "idna", "undefined", "unicode-escape", "raw-unicode-escape", "mbcs", "oem"}
)
_charsets: Final[dict[str, str]] = {}


def lookup_charset(name: str) -> str:
    """The Python codec for a charset a client named, or :class:`InvalidEncodingError` (400).

    Unknown names, codecs that are not text encodings (``base64``, ``zlib``, ...) and the
    codecs no client may pick (``punycode``, ``idna``, ``unicode_escape``, ...) are refused.
    """
    codec = _charsets.get(name)
    if codec is not None:
        return codec
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        raise InvalidEncodingError(f"unknown charset {name!r}") from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED_CODECS:
        raise InvalidEncodingError(f"charset {name!r} is not accepted")
    if len(_charsets) < _MAX_CACHED_NAMES:
        _charsets[name] = info.name
    return info.name


def decode_text(data: bytes, charset: str, *, errors: str = "strict", what: str = "text") -> str:
    """Decode ``data`` with a client-named ``charset`` (see :func:`lookup_charset`); text
    that does not decode raises :class:`InvalidEncodingError` (400)."""
    codec = lookup_charset(charset)
    try:
        return data.decode(codec, errors)
    except (UnicodeError, ValueError):
        raise InvalidEncodingError(f"{what} that is not valid {charset}") from None
