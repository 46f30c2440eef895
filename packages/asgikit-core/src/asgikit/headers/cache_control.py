"""The ``Cache-Control`` header (RFC 9111 §5.2): parse request and response directives,
and build them.

:func:`parse_cache_control` keeps every directive, known or not (extensions stay in the
mapping), and gives typed properties for those RFC 9111 and RFC 5861/8246 define.
:func:`cache_control` builds a value from keyword arguments. Parsing is lenient and
linear in the length of the value: an element that is not ``token [ "=" ( token /
quoted-string ) ]`` is skipped.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, TypedDict

from asgikit.headers import _lists

if TYPE_CHECKING:
    from typing import Unpack

__all__ = ["CacheControl", "CacheControlDirectives", "cache_control", "parse_cache_control"]

# RFC 9111 §1.2.2: a delta-seconds too large to hold is taken as 2**31.
_MAX_DELTA = 2**31


class CacheControl(Mapping[str, str | None]):
    """Cache directives: a read-only mapping of each lower-cased directive name to its
    argument (unquoted), or ``None`` for a directive without one, in the header's order.

    A directive given twice keeps its first argument; RFC 9111 §4.2.1 makes a repeated
    directive's value invalid, so the typed properties of a repeated delta-seconds
    directive (``max-age=1, max-age=2``) give ``None``. ``str()`` writes the directives
    back as a header value.
    """

    __slots__ = ("_directives", "_repeated")

    def __init__(self, directives: Mapping[str, str | None] | None = None) -> None:
        self._directives: dict[str, str | None] = dict(directives or {})
        self._repeated: frozenset[str] = frozenset()

    def __getitem__(self, name: str) -> str | None:
        return self._directives[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._directives

    def __iter__(self) -> Iterator[str]:
        return iter(self._directives)

    def __len__(self) -> int:
        return len(self._directives)

    def __repr__(self) -> str:
        return f"CacheControl({self._directives!r})"

    def __str__(self) -> str:
        return ", ".join(
            name if value is None else f"{name}={_lists.token_or_quoted(value)}"
            for name, value in self._directives.items()
        )

    def _seconds(self, name: str) -> int | None:
        value = self._directives.get(name)
        if value is None or name in self._repeated or not (value.isascii() and value.isdigit()):
            return None
        return min(int(value), _MAX_DELTA) if len(value) < 12 else _MAX_DELTA

    def _fields(self, name: str) -> tuple[str, ...]:
        value = self._directives.get(name)
        if not value:
            return ()
        return tuple(field.strip(" \t").lower() for field in value.split(",") if field.strip())

    # -- request and response ------------------------------------------------------------

    @property
    def max_age(self) -> int | None:
        """``max-age`` in seconds (§5.2.1.1, §5.2.2.1), or ``None`` if absent or invalid."""
        return self._seconds("max-age")

    @property
    def no_cache(self) -> bool:
        """``no-cache`` (§5.2.1.4, §5.2.2.4), with or without field names."""
        return "no-cache" in self._directives

    @property
    def no_store(self) -> bool:
        """``no-store`` (§5.2.1.5, §5.2.2.5)."""
        return "no-store" in self._directives

    @property
    def no_transform(self) -> bool:
        """``no-transform`` (§5.2.1.6, §5.2.2.6)."""
        return "no-transform" in self._directives

    @property
    def stale_if_error(self) -> int | None:
        """``stale-if-error`` in seconds (RFC 5861 §4), or ``None``."""
        return self._seconds("stale-if-error")

    # -- request -------------------------------------------------------------------------

    @property
    def max_stale(self) -> int | None:
        """``max-stale`` in seconds (§5.2.1.2); ``None`` if absent, invalid, or given
        without a value (any staleness: test ``"max-stale" in cc``)."""
        return self._seconds("max-stale")

    @property
    def min_fresh(self) -> int | None:
        """``min-fresh`` in seconds (§5.2.1.3), or ``None``."""
        return self._seconds("min-fresh")

    @property
    def only_if_cached(self) -> bool:
        """``only-if-cached`` (§5.2.1.7)."""
        return "only-if-cached" in self._directives

    # -- response ------------------------------------------------------------------------

    @property
    def s_maxage(self) -> int | None:
        """``s-maxage`` in seconds (§5.2.2.10), or ``None``."""
        return self._seconds("s-maxage")

    @property
    def public(self) -> bool:
        """``public`` (§5.2.2.9)."""
        return "public" in self._directives

    @property
    def private(self) -> bool:
        """``private`` (§5.2.2.7), with or without field names."""
        return "private" in self._directives

    @property
    def no_cache_fields(self) -> tuple[str, ...]:
        """The field names of ``no-cache="..."`` (§5.2.2.4), lower-cased; ``()`` if none."""
        return self._fields("no-cache")

    @property
    def private_fields(self) -> tuple[str, ...]:
        """The field names of ``private="..."`` (§5.2.2.7), lower-cased; ``()`` if none."""
        return self._fields("private")

    @property
    def must_revalidate(self) -> bool:
        """``must-revalidate`` (§5.2.2.2)."""
        return "must-revalidate" in self._directives

    @property
    def proxy_revalidate(self) -> bool:
        """``proxy-revalidate`` (§5.2.2.8)."""
        return "proxy-revalidate" in self._directives

    @property
    def must_understand(self) -> bool:
        """``must-understand`` (§5.2.2.3)."""
        return "must-understand" in self._directives

    @property
    def immutable(self) -> bool:
        """``immutable`` (RFC 8246)."""
        return "immutable" in self._directives

    @property
    def stale_while_revalidate(self) -> int | None:
        """``stale-while-revalidate`` in seconds (RFC 5861 §3), or ``None``."""
        return self._seconds("stale-while-revalidate")


def parse_cache_control(value: str | None) -> CacheControl:
    """``"max-age=60, private=\\"set-cookie\\", x-ext"`` → a :class:`CacheControl`.

    RFC 9111 §5.2: ``Cache-Control = #cache-directive``, ``cache-directive = token [ "="
    ( token / quoted-string ) ]``; arguments are accepted in both forms, as §5.2 asks of
    recipients. Names are lower-cased; elements whose name is not a token are skipped.
    Several header lines can be joined with ``", "`` first. ``None`` gives no directives.
    """
    result = CacheControl()
    if not value:
        return result
    directives = result._directives
    repeated: set[str] = set()
    for element in _lists.split_list(value):
        name, eq, argument = element.partition("=")
        name = name.rstrip(" \t").lower()
        if not _lists.is_token(name):
            continue
        if name in directives:
            repeated.add(name)
            continue
        directives[name] = _lists.unquote(argument.strip(" \t")) if eq else None
    result._repeated = frozenset(repeated)
    return result


class CacheControlDirectives(TypedDict, total=False):
    """The keyword arguments of :func:`cache_control`: the directives of RFC 9111 §5.2,
    RFC 5861 and RFC 8246, named with ``_`` for ``-``."""

    max_age: int
    s_maxage: int
    max_stale: int | bool
    min_fresh: int
    stale_while_revalidate: int
    stale_if_error: int
    no_cache: bool | Sequence[str]
    private: bool | Sequence[str]
    no_store: bool
    no_transform: bool
    only_if_cached: bool
    must_revalidate: bool
    proxy_revalidate: bool
    must_understand: bool
    public: bool
    immutable: bool
    extensions: Mapping[str, str | None]


def cache_control(**directives: Unpack[CacheControlDirectives]) -> str:
    """A ``Cache-Control`` value: ``cache_control(public=True, max_age=3600)`` →
    ``"public, max-age=3600"``, in the order given.

    ``True`` writes a directive without argument and ``False`` leaves it out; a number
    of seconds must be a non-negative ``int``; ``no_cache`` and ``private`` may list field
    names (``no_cache=["set-cookie"]`` → ``no-cache="set-cookie"``); ``extensions`` adds
    other directives (``None`` for no argument). A bad value raises :class:`ValueError`
    and an unknown keyword :class:`TypeError`.
    """
    parts: list[str] = []
    for key, value in directives.items():
        if key == "extensions":
            assert isinstance(value, Mapping)
            for name, argument in value.items():
                if not _lists.is_token(name):
                    raise ValueError(f"invalid Cache-Control directive {name!r}: not a token")
                parts.append(
                    name if argument is None else f"{name}={_lists.token_or_quoted(argument)}"
                )
            continue
        if key not in CacheControlDirectives.__annotations__:
            raise TypeError(f"cache_control() got an unexpected keyword argument {key!r}")
        name = key.replace("_", "-")
        if value is True:
            parts.append(name)
        elif value is False:
            continue
        elif isinstance(value, int) and key not in ("no_cache", "private"):
            if value < 0:
                raise ValueError(f"{key} must be a non-negative number of seconds, not {value}")
            parts.append(f"{name}={value}")
        elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
            fields = [str(field) for field in value]
            if not fields or not all(_lists.is_token(field) for field in fields):
                raise ValueError(f"{key} needs field names (tokens), not {value!r}")
            parts.append(f"{name}={_lists.quote(', '.join(fields))}")
        else:
            raise ValueError(f"invalid value for {key}: {value!r}")
    return ", ".join(parts)
