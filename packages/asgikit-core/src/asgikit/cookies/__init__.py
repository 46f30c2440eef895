"""Cookies: the request's Cookie header, parsed; the response's Set-Cookie lines, built.

The parser follows what browsers send rather than RFC 6265's strict grammar (as
Starlette's does): pairs split on ``;``, the name ends at the first ``=``, a pair with no
``=`` is a value with an empty name, whitespace around names and values is dropped and
one pair of surrounding double quotes is removed. It is one pass and never raises.

Set-Cookie lines are written by hand rather than with :mod:`http.cookies`, so that every
attribute, ``Partitioned`` included, works on every supported Python, and every
attribute is checked: a ``;`` or a control character in any of them is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Final, Unpack, cast

from asgikit.cookies._options import CookieAttributes, CookieOptions, SameSite
from asgikit.errors import HeaderValueError, ResponseStateError
from asgikit.multivalue import MultiValueDict

__all__ = [
    "Cookie",
    "CookieAttributes",
    "CookieOptions",
    "ResponseCookies",
    "SameSite",
    "parse_cookie_header",
]

_COOKIE_OPTIONS: Final[frozenset[str]] = CookieOptions.__optional_keys__
_ATTRIBUTES: Final[frozenset[str]] = CookieAttributes.__optional_keys__


def _check_options(options: Mapping[str, object], known: frozenset[str], caller: str) -> None:
    # The TypeError Python raises for a keyword that a signature does not name.
    if not options.keys() <= known:
        name = next(name for name in options if name not in known)
        raise TypeError(f"{caller}() got an unexpected keyword argument {name!r}")


def parse_cookie_header(
    value: str, cookies: MultiValueDict[str] | None = None
) -> MultiValueDict[str]:
    """Parse a Cookie header value into ``cookies`` (a new dict when not given)."""
    result: MultiValueDict[str] = MultiValueDict() if cookies is None else cookies
    for chunk in value.split(";"):
        name, sep, val = chunk.partition("=")
        if not sep:
            name, val = "", name
        name = name.strip()
        val = val.strip()
        if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1]
        if name or val:
            result.add(name, val)
    return result


# RFC 6265 §4.1.1: cookie-name is a token; cookie-octet excludes CTLs, whitespace, DQUOTE,
# comma, semicolon and backslash.
_is_token: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch
_is_cookie_value: Final = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*").fullmatch
_is_attribute_value: Final = re.compile(r"[\x20-\x3a\x3c-\x7e]*").fullmatch


def _format_expires(expires: object) -> str:
    """The IMF-fixdate of ``expires`` (RFC 9110 §5.6.7), a naive datetime taken as UTC;
    :class:`HeaderValueError` when it is no datetime or falls outside years 1-9999 in UTC."""
    if not isinstance(expires, datetime):
        raise HeaderValueError(f"cookie expires must be a datetime, got {expires!r}")
    try:
        when = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
        return format_datetime(when.astimezone(UTC), usegmt=True)
    except (OverflowError, ValueError):
        raise HeaderValueError(
            f"cookie expires {expires!r} is outside years 1-9999 once converted to UTC"
        ) from None


class Cookie:
    """One Set-Cookie line. Build it with :meth:`ResponseCookies.set`."""

    __slots__ = (
        "domain",
        "expires",
        "httponly",
        "max_age",
        "name",
        "partitioned",
        "path",
        "samesite",
        "secure",
        "value",
    )

    def __init__(self, name: str, value: str, **options: Unpack[CookieOptions]) -> None:
        _check_options(options, _COOKIE_OPTIONS, "Cookie")
        # Read as objects: the checks below refuse a wrong type with HeaderValueError, before the
        # compiled build's own check of the declared type would raise a bare TypeError.
        given: Mapping[str, object] = options
        expires = given.get("expires")
        max_age = given.get("max_age")
        domain = options.get("domain")
        path = options.get("path", "/")
        secure = options.get("secure", False)
        httponly = options.get("httponly", False)
        samesite = options.get("samesite", "lax")
        partitioned = options.get("partitioned", False)
        if not _is_token(name):
            raise HeaderValueError(f"invalid cookie name {name!r}: it must be an RFC 6265 token")
        if not _is_cookie_value(value):
            raise HeaderValueError(
                f"invalid cookie value {value!r}: only RFC 6265 cookie-octets are allowed "
                "(no spaces, quotes, commas, semicolons, backslashes or controls); "
                "percent-encode the value first"
            )
        for attribute, text in (("domain", domain), ("path", path)):
            if text is not None and not _is_attribute_value(text):
                raise HeaderValueError(
                    f"invalid cookie {attribute} {text!r}: ';' and control characters are refused"
                )
        if max_age is not None and (type(max_age) is not int):
            raise HeaderValueError(f"cookie max_age must be an int, got {max_age!r}")
        if expires is not None:
            _format_expires(expires)  # refused now, not when every response is sent
        if samesite is not None and samesite not in ("lax", "strict", "none"):
            raise HeaderValueError(
                f"cookie samesite must be 'lax', 'strict' or 'none', not {samesite!r}"
            )
        if samesite == "none" and not secure:
            raise HeaderValueError(
                "a SameSite=None cookie must be secure: browsers drop it otherwise"
            )
        if partitioned and not secure:
            raise HeaderValueError(
                "a Partitioned cookie must be secure: browsers drop it otherwise"
            )
        self.name = name
        self.value = value
        self.expires = cast("datetime | None", expires)  # checked above
        self.max_age = max_age
        self.domain = domain
        self.path = path
        self.secure = secure
        self.httponly = httponly
        self.samesite = samesite
        self.partitioned = partitioned

    def header_value(self) -> str:
        """The Set-Cookie header value for this cookie."""
        parts = [f"{self.name}={self.value}"]
        if self.expires is not None:
            parts.append(f"Expires={_format_expires(self.expires)}")
        if self.max_age is not None:
            parts.append(f"Max-Age={self.max_age}")
        if self.domain is not None:
            parts.append(f"Domain={self.domain}")
        if self.path is not None:
            parts.append(f"Path={self.path}")
        if self.secure:
            parts.append("Secure")
        if self.httponly:
            parts.append("HttpOnly")
        if self.samesite is not None:
            parts.append(f"SameSite={self.samesite.capitalize()}")
        if self.partitioned:
            parts.append("Partitioned")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"Cookie({self.header_value()!r})"


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class ResponseCookies:
    """The cookies a response sets, each sent as its own Set-Cookie line."""

    __slots__ = ("_cookies", "_frozen")

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str | None, str | None], Cookie] = {}
        self._frozen: str | None = None

    def freeze(self, reason: str) -> None:
        """Refuse every later change with :class:`ResponseStateError` saying ``reason``
        (the response does this when it starts: what is sent cannot change)."""
        self._frozen = reason

    def set(self, name: str, value: str, **options: Unpack[CookieOptions]) -> Cookie:
        """Set a cookie with the attributes in ``options`` (:class:`CookieOptions`); a
        later call for the same name, domain and path replaces it."""
        if self._frozen is not None:
            raise ResponseStateError(f"cannot set a cookie: {self._frozen}")
        _check_options(options, _COOKIE_OPTIONS, "set")
        cookie = Cookie(name, value, **options)
        self._cookies[(name, cookie.domain, cookie.path)] = cookie
        return cookie

    def delete(self, name: str, **options: Unpack[CookieAttributes]) -> Cookie:
        """Ask the client to drop a cookie (``Max-Age=0`` and an expiry in the past);
        ``options`` (:class:`CookieAttributes`) name it as it was set."""
        _check_options(options, _ATTRIBUTES, "delete")
        return self.set(name, "", expires=_EPOCH, max_age=0, **options)

    def get(self, name: str) -> Cookie | None:
        """The cookie set under ``name`` (any domain and path), or ``None``."""
        for cookie in self._cookies.values():
            if cookie.name == name:
                return cookie
        return None

    def __iter__(self) -> Iterator[Cookie]:
        return iter(self._cookies.values())

    def __len__(self) -> int:
        return len(self._cookies)

    def __contains__(self, name: object) -> bool:
        return any(cookie.name == name for cookie in self._cookies.values())

    def header_lines(self) -> list[tuple[bytes, bytes]]:
        """One ``(b"set-cookie", value)`` pair per cookie."""
        return [(b"set-cookie", c.header_value().encode("latin-1")) for c in self._cookies.values()]
