"""Content negotiation: the ``Accept``, ``Accept-Language``, ``Accept-Encoding`` and
``Accept-Charset`` request headers (RFC 9110 §12.5), parsed and matched against offers.

Parsers are pure and lenient: an element that does not follow its grammar (a bad
media range, a weight that is not an RFC 9110 qvalue, ...) is skipped, never an error,
so a client's odd header can cost it a worse choice but never a 500. Their work is
linear in the length of the header whatever it holds (commas in quoted strings,
unclosed quotes, long runs of ``;``). ``q=0`` means "not acceptable".

The ``negotiate_*`` functions return the best of the server's ``offers`` (in the server's
order of preference) or ``None`` when none is acceptable. The best offer has the highest
weight; the weight of an offer comes from the most specific element that matches it
(RFC 9110 §12.5.1: ``text/plain;format=flowed`` over ``text/plain`` over ``text/*``
over ``*/*``); equal weights go to the offer matched more specifically, then to the
earlier offer. A header that is absent, or holds no valid element, accepts everything
(the first offer wins) — except ``Accept-Encoding``, see :func:`negotiate_encoding`.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from asgikit.headers import _lists, parse_parameters

__all__ = [
    "AcceptHeader",
    "AcceptItem",
    "MediaRange",
    "negotiate",
    "negotiate_charset",
    "negotiate_encoding",
    "negotiate_language",
    "negotiate_media_type",
    "parse_accept",
    "parse_accept_charset",
    "parse_accept_encoding",
    "parse_accept_language",
]

# RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_is_qvalue = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?").fullmatch
# RFC 4647 §2.1: language-range = (1*8ALPHA *("-" 1*8alphanum)) / "*"
_is_language_range = re.compile(r"\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*").fullmatch


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One element of ``Accept``: ``type/subtype``, its parameters and its weight.

    ``type`` and ``subtype`` are lower-cased and may be ``*``; ``params`` are the media
    type parameters (names lower-cased, quoted values unquoted), not the ``q`` weight
    nor the extension parameters after it. ``str()`` writes it back as a header element.
    """

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...] = ()
    q: float = 1.0

    def __str__(self) -> str:
        text = f"{self.type}/{self.subtype}"
        for name, value in self.params:
            text += f";{name}={_lists.token_or_quoted(value)}"
        return text if self.q == 1.0 else f"{text};q={_format_q(self.q)}"


@dataclass(frozen=True, slots=True)
class AcceptItem:
    """One element of ``Accept-Language``, ``Accept-Encoding`` or ``Accept-Charset``:
    a lower-cased value (a language range, a content coding, a charset, or ``*``) and its
    weight. ``str()`` writes it back as a header element."""

    value: str
    q: float = 1.0

    def __str__(self) -> str:
        return self.value if self.q == 1.0 else f"{self.value};q={_format_q(self.q)}"


def _format_q(q: float) -> str:
    return f"{q:.3f}".rstrip("0").rstrip(".") or "0"


def _weight(params: dict[str, str]) -> float | None:
    raw = params.get("q")
    if raw is None:
        return 1.0
    return float(raw) if _is_qvalue(raw) else None


def parse_accept(value: str) -> list[MediaRange]:
    """``"text/html, application/*;q=0.5"`` → the media ranges, in the header's order.

    RFC 9110 §12.5.1: ``Accept = #( media-range [ weight ] )``. Elements that are not
    ``type/subtype`` tokens, ``*/subtype``, and elements with a malformed weight are
    skipped. Parameters after ``q`` are extensions and are dropped.
    """
    ranges: list[MediaRange] = []
    for element in _lists.split_list(value):
        main, params = parse_parameters(element)
        kind, slash, subtype = main.partition("/")
        kind, subtype = kind.rstrip(" \t"), subtype.lstrip(" \t")
        if not (slash and _lists.is_token(kind) and _lists.is_token(subtype)):
            continue
        if kind == "*" and subtype != "*":
            continue
        q = _weight(params)
        if q is None:
            continue
        media_params: list[tuple[str, str]] = []
        for name, param in params.items():
            if name == "q":
                break
            if _lists.is_token(name):
                media_params.append((name, param))
        ranges.append(MediaRange(kind, subtype, tuple(media_params), q))
    return ranges


def _parse_items(value: str, valid: Callable[[str], object]) -> list[AcceptItem]:
    items: list[AcceptItem] = []
    for element in _lists.split_list(value):
        main, params = parse_parameters(element)
        if not valid(main):
            continue
        q = _weight(params)
        if q is not None:
            items.append(AcceptItem(main, q))
    return items


def parse_accept_language(value: str) -> list[AcceptItem]:
    """``"en-GB, fr;q=0.5"`` → the language ranges (lower-cased), in the header's order.

    RFC 9110 §12.5.4, with the basic language ranges of RFC 4647 §2.1; other elements
    and malformed weights are skipped.
    """
    return _parse_items(value, _is_language_range)


_CODING_ALIASES = {"x-gzip": "gzip", "x-compress": "compress"}


def parse_accept_encoding(value: str) -> list[AcceptItem]:
    """``"gzip;q=0.8, br"`` → the content codings (lower-cased), in the header's order.

    RFC 9110 §12.5.3; ``x-gzip`` and ``x-compress`` are read as ``gzip`` and
    ``compress`` (§8.4.1). Elements that are not tokens or have a malformed weight are
    skipped.
    """
    items = _parse_items(value, _lists.is_token)
    return [
        AcceptItem(_CODING_ALIASES[item.value], item.q) if item.value in _CODING_ALIASES else item
        for item in items
    ]


def parse_accept_charset(value: str) -> list[AcceptItem]:
    """``"utf-8, iso-8859-1;q=0.5"`` → the charsets (lower-cased), in the header's order.

    RFC 9110 §12.5.2; elements that are not tokens or have a malformed weight are skipped.
    """
    return _parse_items(value, _lists.is_token)


# -- matching ------------------------------------------------------------------------
#
# Each matcher gives, for one offer, the weight of the most specific element that applies
# and how specific it is (a tuple compared as such), or None when no element applies.

_Match = tuple[float, tuple[float, ...]] | None


def _ranked(found: _Match) -> _Match:
    """(weight, specificity) → (weight, the key offers are ranked by)."""
    return None if found is None else (found[0], (found[0], *found[1]))


def _best(offers: Sequence[str], rank: Callable[[str], _Match]) -> str | None:
    """The offer with the highest key among those of weight above 0; the earlier on ties."""
    best: str | None = None
    best_key: tuple[float, ...] = ()
    for offer in offers:
        found = rank(offer)
        if found is None or found[0] <= 0:
            continue
        if best is None or found[1] > best_key:
            best, best_key = offer, found[1]
    return best


def _parse_offer(offer: str) -> tuple[str, str, dict[str, str]]:
    main, params = parse_parameters(offer)
    kind, slash, subtype = main.partition("/")
    if not (slash and _lists.is_token(kind) and _lists.is_token(subtype)) or "*" in (kind, subtype):
        raise ValueError(f"offer {offer!r} is not a media type (type/subtype, no wildcard)")
    return kind, subtype, {name: param.lower() for name, param in params.items()}


def _media_match(ranges: list[MediaRange], offer: str) -> _Match:
    kind, subtype, params = _parse_offer(offer)
    best: _Match = None
    for item in ranges:
        if item.type == "*":
            level = 0
        elif item.type != kind:
            continue
        elif item.subtype == "*":
            level = 1
        elif item.subtype == subtype:
            level = 2
        else:
            continue
        # Parameter values are compared without case: charset=UTF-8 is charset=utf-8.
        if any(params.get(name) != value.lower() for name, value in item.params):
            continue
        specificity = (float(level), float(len(item.params)))
        if best is None or specificity > best[1]:
            best = (item.q, specificity)
    return best


def negotiate_media_type(accept: str | None, offers: Sequence[str]) -> str | None:
    """The best of ``offers`` (media types such as ``"application/json"``, parameters
    allowed) for an ``Accept`` header value, or ``None`` if none is acceptable.

    An offer matches a range with the same type and subtype (or ``*``) whose parameters
    it all has (names and values compared without case). An offer that is not a media
    type (no ``/``, a wildcard) raises :class:`ValueError`: that is the application's
    mistake, not the client's.
    """
    ranges = parse_accept(accept) if accept else []
    if not ranges:
        for offer in offers:
            _parse_offer(offer)
        return offers[0] if offers else None
    return _best(offers, lambda offer: _ranked(_media_match(ranges, offer)))


def _language_match(ranges: list[AcceptItem], offer: str) -> _Match:
    tag = offer.lower()
    best: _Match = None
    for item in ranges:
        language = item.value
        if language == tag:
            specificity: tuple[float, ...] = (3.0, 0.0)
        elif language.startswith(tag) and language[len(tag) : len(tag) + 1] == "-":
            if item.q <= 0:  # "en-GB;q=0" refuses en-GB, not all of English
                continue
            specificity = (2.0, item.q)  # RFC 4647 §3.4 lookup: en-GB falls back to en
        elif tag.startswith(language) and tag[len(language) : len(language) + 1] == "-":
            specificity = (1.0, float(len(language)))  # RFC 4647 §3.3.1 basic filtering
        elif language == "*":
            specificity = (0.0, 0.0)
        else:
            continue
        if best is None or specificity > best[1]:
            best = (item.q, specificity)
    return best


def negotiate_language(accept_language: str | None, offers: Sequence[str]) -> str | None:
    """The best of ``offers`` (language tags such as ``"en-GB"``) for an
    ``Accept-Language`` value, or ``None`` if none is acceptable.

    Tags are compared without case, subtag by subtag. A range applies to an offer when
    it is the same tag; when the offer is a prefix of it (RFC 4647 §3.4 lookup:
    ``en-GB`` asked, ``en`` offered); when it is a prefix of the offer (RFC 4647 §3.3.1
    basic filtering: ``en`` asked, ``en-GB`` offered); or when it is ``*``. Of the
    ranges that apply, the one sharing the most subtags with the offer gives its weight,
    in that order (among lookups the highest weight, among prefixes the longest): with
    ``de-DE-1996, de;q=0.8``, ``de-DE`` is preferred to ``de-CH``. A range with ``q=0``
    refuses itself and the tags under it, never a shorter tag: ``en;q=0`` refuses
    ``en-GB`` too, ``en-GB;q=0`` does not refuse ``en``.
    """
    ranges = parse_accept_language(accept_language) if accept_language else []
    if not ranges:
        return offers[0] if offers else None
    return _best(offers, lambda offer: _ranked(_language_match(ranges, offer)))


def _token_match(items: list[AcceptItem], offer: str) -> _Match:
    token = offer.lower()
    best: _Match = None
    for item in items:
        if item.value == token:
            return (item.q, (1.0,))
        if item.value == "*" and best is None:
            best = (item.q, (0.0,))
    return best


def negotiate_charset(accept_charset: str | None, offers: Sequence[str]) -> str | None:
    """The best of ``offers`` (charsets such as ``"utf-8"``) for an ``Accept-Charset``
    value, or ``None`` if none is acceptable. Names are compared without case and
    without resolving aliases (``utf8`` is not ``utf-8``)."""
    items = parse_accept_charset(accept_charset) if accept_charset else []
    if not items:
        return offers[0] if offers else None
    return _best(offers, lambda offer: _ranked(_token_match(items, offer)))


def _encoding_match(items: list[AcceptItem], offer: str) -> _Match:
    coding = offer.lower()
    coding = _CODING_ALIASES.get(coding, coding)
    found = _token_match(items, coding)
    if coding != "identity" or (found is not None and found[1] == (1.0,)):
        return None if found is None else (found[0], (1.0, found[0], *found[1]))
    # RFC 9110 §12.5.3: "If the representation has no content coding, then it is
    # acceptable by default unless specifically excluded by the Accept-Encoding header
    # field stating either "identity;q=0" or "*;q=0" without a more specific entry
    # for "identity"." Acceptable by default, it ranks after every coding named.
    if found is not None and found[0] <= 0:
        return None
    return (1.0, (0.0,))  # below every (1.0, q, ...) key of a coding named


def negotiate_encoding(accept_encoding: str | None, offers: Sequence[str]) -> str | None:
    """The best of ``offers`` (content codings such as ``"br"``, ``"gzip"``,
    ``"identity"``) for an ``Accept-Encoding`` value, or ``None`` if none is acceptable.

    RFC 9110 §12.5.3. ``identity`` (the representation as it is) is acceptable unless
    ``identity;q=0``, or ``*;q=0`` without an ``identity`` element, refuses it; unless
    the client names it, it ranks after every coding the client accepts. An empty header
    (or one with no valid element) asks for no coding: only ``identity`` is acceptable.
    With no header at all any coding is acceptable, but ``identity`` is chosen when
    offered: a server need not compress for a client that did not ask.
    """
    if accept_encoding is None:
        if any(offer.lower() == "identity" for offer in offers):
            return next(offer for offer in offers if offer.lower() == "identity")
        return offers[0] if offers else None
    items = parse_accept_encoding(accept_encoding)
    return _best(offers, lambda offer: _encoding_match(items, offer))


AcceptHeader = Literal["accept", "accept-language", "accept-encoding", "accept-charset"]
"""The request headers :func:`negotiate` reads."""

_NEGOTIATORS: dict[str, Callable[[str | None, Sequence[str]], str | None]] = {
    "accept": negotiate_media_type,
    "accept-language": negotiate_language,
    "accept-encoding": negotiate_encoding,
    "accept-charset": negotiate_charset,
}


def negotiate(header: AcceptHeader, value: str | None, offers: Sequence[str]) -> str | None:
    """The best of ``offers`` for the ``value`` of the request header ``header`` (``None``
    when the request has none), by :func:`negotiate_media_type`,
    :func:`negotiate_language`, :func:`negotiate_encoding` or :func:`negotiate_charset`.
    An unknown ``header`` raises :class:`ValueError`."""
    negotiator = _NEGOTIATORS.get(header.lower())
    if negotiator is None:
        raise ValueError(f"cannot negotiate {header!r}: expected one of {sorted(_NEGOTIATORS)}")
    return negotiator(value, offers)
