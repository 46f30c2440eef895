"""The options of cookies, as TypedDicts: a module the compiled build leaves pure Python,
so that the classes keep their totality and their base at run time (mypyc keeps
neither)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypedDict

SameSite = Literal["lax", "strict", "none"]


class CookieAttributes(TypedDict, total=False):
    """The attributes of a cookie that :meth:`ResponseCookies.delete` takes: the ones
    that say which cookie it is (``domain``, ``path``) and how it was set, which the
    deleting Set-Cookie line repeats (browsers refuse a SameSite=None or Partitioned
    line that is not ``secure``)."""

    #: ``Domain`` (``None``: only the host that set it).
    domain: str | None
    #: ``Path`` ("/"; ``None``: the browser's default, the request's directory).
    path: str | None
    #: ``Secure``: sent over HTTPS only (``False``).
    secure: bool
    #: ``HttpOnly``: hidden from scripts (``False``).
    httponly: bool
    #: ``SameSite`` ("lax"); "none" needs ``secure``.
    samesite: SameSite | None
    #: ``Partitioned`` (CHIPS; ``False``); needs ``secure``.
    partitioned: bool


class CookieOptions(CookieAttributes, total=False):
    """The options of :meth:`ResponseCookies.set` and :class:`Cookie`: the
    :class:`CookieAttributes` and the cookie's lifetime. A misspelled option is a type
    error, and a ``TypeError`` when the call runs."""

    #: ``Expires``: an aware :class:`~datetime.datetime` (``None``: a session cookie).
    expires: datetime | None
    #: ``Max-Age`` in seconds (``None``: not sent).
    max_age: int | None
