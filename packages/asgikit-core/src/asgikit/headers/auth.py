"""``Authorization`` and ``WWW-Authenticate`` (RFC 9110 §11): credentials and challenges,
with the ``Basic`` (RFC 7617) and ``Bearer`` (RFC 6750) schemes.

``credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`` (§11.4). A client's
credentials that do not follow it raise :class:`~asgikit.errors.MalformedHeaderError`
(400); so do ``Basic`` credentials that are not base64 of UTF-8 ``user-id:password``
without control characters. Parsing is linear in the length of the value.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from asgikit.errors import HeaderValueError, MalformedHeaderError
from asgikit.headers import _lists

__all__ = [
    "BasicCredentials",
    "Challenge",
    "Credentials",
    "basic_challenge",
    "parse_authorization",
    "parse_basic",
    "parse_bearer",
    "parse_www_authenticate",
]

# RFC 9110 §11.2: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
# (RFC 6750 §2.1 calls the same grammar b64token.)
_is_token68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*").fullmatch
# The scheme, then 1*SP, then the rest (the value is stripped first).
_scheme_and_rest = re.compile(r"([^ \t]+)(?:[ \t]+(.*))?", re.S).fullmatch
# RFC 7617 §2: the user-id and password MUST NOT contain control characters; with
# charset="UTF-8" (RFC 8265 profiles) that is every Unicode Cc character.
_has_control = re.compile(r"[\x00-\x1f\x7f-\x9f]").search


def _params_text(scheme: str, token68: str | None, params: dict[str, str]) -> str:
    if token68 is not None:
        return f"{scheme} {token68}"
    if not params:
        return scheme
    return f"{scheme} " + ", ".join(
        f"{name}={_lists.quote(value)}" for name, value in params.items()
    )


@dataclass(frozen=True, slots=True)
class Credentials:
    """An ``Authorization`` value: ``scheme`` (lower-cased when parsed), and either a
    ``token68`` or auth ``params`` (names lower-cased, quoted values unquoted).
    ``str()`` writes it back, quoting every parameter value."""

    scheme: str
    token68: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return _params_text(self.scheme, self.token68, self.params)


@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge of ``WWW-Authenticate``: ``str(Challenge("Bearer", params={"realm":
    "api", "error": "invalid_token"}))`` → ``Bearer realm="api", error="invalid_token"``.

    ``str()`` refuses a scheme or parameter name that is not a token and a token68 that
    is not one with :class:`~asgikit.errors.HeaderValueError`; values are always quoted.
    """

    scheme: str
    token68: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        if not _lists.is_token(self.scheme):
            raise HeaderValueError(f"invalid auth scheme {self.scheme!r}: it must be a token")
        if self.token68 is not None and (self.params or not _is_token68(self.token68)):
            raise HeaderValueError(f"invalid token68 {self.token68!r} (or token68 with params)")
        for name in self.params:
            if not _lists.is_token(name):
                raise HeaderValueError(f"invalid auth-param name {name!r}: it must be a token")
        return _params_text(self.scheme, self.token68, self.params)


def basic_challenge(realm: str) -> str:
    """``Basic realm="...", charset="UTF-8"``: the challenge of RFC 7617 §2.1, saying that
    credentials are read as UTF-8 (what :func:`parse_basic` does)."""
    return str(Challenge("Basic", params={"realm": realm, "charset": "UTF-8"}))


def _auth_params(elements: list[str], what: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for element in elements:
        name, eq, value = element.partition("=")
        name = name.rstrip(" \t").lower()
        value = value.lstrip(" \t")
        if not eq or not _lists.is_token(name):
            raise MalformedHeaderError(f"malformed {what}: expected name=value parameters")
        if value.startswith('"'):
            if _lists.skip_quoted(value, 1) != len(value):
                raise MalformedHeaderError(f"malformed {what}: bad quoted string")
            value = _lists.unquote(value)
        elif not _lists.is_token(value):
            raise MalformedHeaderError(f"malformed {what}: bad parameter value")
        if name in params:  # RFC 9110 §11.2: each name MUST only occur once
            raise MalformedHeaderError(f"malformed {what}: parameter {name!r} given twice")
        params[name] = value
    return params


def _split_scheme(text: str, what: str) -> tuple[str, str]:
    match = _scheme_and_rest(text.strip(" \t"))
    if match is None or not _lists.is_token(match[1]):
        raise MalformedHeaderError(f"malformed {what}: no auth scheme")
    return match[1].lower(), match[2] or ""


def parse_authorization(value: str | None) -> Credentials | None:
    """``"Bearer abc"`` → ``Credentials("bearer", "abc")``; ``None`` for ``None``.

    Raises :class:`~asgikit.errors.MalformedHeaderError` (400) when the value is not
    ``auth-scheme [ 1*SP ( token68 / #auth-param ) ]``.
    """
    if value is None:
        return None
    scheme, rest = _split_scheme(value, "Authorization")
    if not rest or _is_token68(rest):
        return Credentials(scheme, rest or None)
    return Credentials(scheme, None, _auth_params(_lists.split_list(rest), "Authorization"))


class BasicCredentials(NamedTuple):
    """The user-id and password of ``Basic`` credentials."""

    username: str
    password: str


def parse_basic(value: str | None, *, encoding: str = "utf-8") -> BasicCredentials | None:
    """The ``(username, password)`` of ``Basic`` credentials (RFC 7617), or ``None`` when
    ``value`` is ``None`` or another scheme.

    The token is base64 (RFC 4648, padding included) of ``user-id ":" password``, read as
    UTF-8 (RFC 7617 §2.1; ``encoding="latin-1"`` for legacy clients); the user-id ends at
    the first colon. Anything else — not base64, not UTF-8, no colon, a control
    character — raises :class:`~asgikit.errors.MalformedHeaderError` (400). Names are not
    normalised: compare them as your user store does.
    """
    credentials = parse_authorization(value)
    if credentials is None or credentials.scheme != "basic":
        return None
    if credentials.token68 is None:
        raise MalformedHeaderError("malformed Basic credentials: no base64 token")
    try:
        decoded = base64.b64decode(credentials.token68, validate=True).decode(encoding)
    except (binascii.Error, ValueError):
        raise MalformedHeaderError(
            f"malformed Basic credentials: not base64 of {encoding} text"
        ) from None
    username, colon, password = decoded.partition(":")
    if not colon:
        raise MalformedHeaderError("malformed Basic credentials: no ':' after the user-id")
    if _has_control(decoded):
        raise MalformedHeaderError("malformed Basic credentials: control characters")
    return BasicCredentials(username, password)


def parse_bearer(value: str | None) -> str | None:
    """The token of ``Bearer`` credentials (RFC 6750 §2.1: ``"Bearer" 1*SP b64token``),
    or ``None`` when ``value`` is ``None`` or another scheme. ``Bearer`` without a token,
    or with parameters, raises :class:`~asgikit.errors.MalformedHeaderError` (400)."""
    credentials = parse_authorization(value)
    if credentials is None or credentials.scheme != "bearer":
        return None
    if credentials.token68 is None:
        raise MalformedHeaderError("malformed Bearer credentials: expected one token")
    return credentials.token68


_param_start = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=").match


def parse_www_authenticate(value: str) -> list[Challenge]:
    """The challenges of a ``WWW-Authenticate`` value, in order (schemes lower-cased):
    ``'Basic realm="a", Bearer'`` → ``[Challenge("basic", params={"realm": "a"}),
    Challenge("bearer")]``.

    RFC 9110 §11.6.1: ``#challenge``, where commas also separate the parameters of one
    challenge; an element that starts ``name=`` is a parameter, any other starts a new
    challenge. A value that does not parse raises
    :class:`~asgikit.errors.MalformedHeaderError`.
    """
    challenges: list[Challenge] = []
    pending: list[str] = []
    scheme = ""
    token68: str | None = None

    def close() -> None:
        if scheme:
            params = _auth_params(pending, "WWW-Authenticate")
            challenges.append(Challenge(scheme, token68, params))

    for element in _lists.split_list(value):
        if _param_start(element):
            if not scheme or token68 is not None:
                raise MalformedHeaderError("malformed WWW-Authenticate: parameter without scheme")
            pending.append(element)
            continue
        close()
        scheme, rest = _split_scheme(element, "WWW-Authenticate")
        pending, token68 = [], None
        if rest and _is_token68(rest):
            token68 = rest
        elif rest:
            pending.append(rest)
    close()
    return challenges
