"""Validators and conditional requests (RFC 9110 §8.8 and §13), sans-IO.

Entity tags (:class:`EntityTag`, :func:`parse_entity_tags`, :func:`strong_match`,
:func:`weak_match`), HTTP dates in all three RFC 9110 forms (:func:`parse_http_date`,
:func:`format_http_date`), and the preconditions: :func:`evaluate_preconditions` is the
decision of RFC 9110 §13.2.2 as a pure function (given the method, the
representation's validators and the request's precondition fields, whether to answer
412, 304, or go on), and :func:`if_range_allows` the If-Range test (§13.1.5). Every
function is pure and linear in the length of its input: entity-tag lists and dates are
scanned in one pass, and nothing raises on client input.

New in asgikit-core 0.2 (moved from asgikit-files, which re-exports these names).
"""

from __future__ import annotations

import calendar
import datetime
import time
from typing import NamedTuple

__all__ = [
    "EntityTag",
    "evaluate_preconditions",
    "format_http_date",
    "if_range_allows",
    "parse_entity_tag",
    "parse_entity_tags",
    "parse_http_date",
    "strong_match",
    "weak_match",
]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LONG_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {name: number for number, name in enumerate(_MONTHS, 1)}
_LATEST = 253402300799  # 9999-12-31T23:59:59Z: the last instant a four-digit year holds


def format_http_date(timestamp: float) -> str:
    """``timestamp`` (seconds since the epoch) as an IMF-fixdate (RFC 9110 §5.6.7):
    ``Sun, 06 Nov 1994 08:49:37 GMT``. Independent of the locale; out-of-range times
    are clamped to the epoch and to year 9999."""
    seconds = min(max(int(timestamp), 0), _LATEST)
    t = time.gmtime(seconds)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def _digits(text: str, length: int) -> int | None:
    if len(text) != length or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def _clock(text: str) -> tuple[int, int, int] | None:
    parts = text.split(":")
    if len(parts) != 3:
        return None
    hour, minute, second = (_digits(p, 2) for p in parts)
    if hour is None or minute is None or second is None:
        return None
    return hour, minute, second


def parse_http_date(value: str) -> int | None:
    """An HTTP-date as seconds since the epoch, or ``None`` if it is not one.

    RFC 9110 §5.6.7: recipients accept the IMF-fixdate (``Sun, 06 Nov 1994 08:49:37
    GMT``) and the two obsolete forms, rfc850 (``Sunday, 06-Nov-94 08:49:37 GMT``) and
    asctime (``Sun Nov  6 08:49:37 1994``). A two-digit year more than 50 years in the
    future means the most recent past year with those digits. A leap second reads as
    :59. Linear, and anything over 64 characters is refused at once.
    """
    if len(value) > 64:
        return None
    parts = value.split()
    weekday = parts[0][:-1] if parts and parts[0].endswith(",") else None
    if len(parts) == 6 and parts[5] == "GMT" and weekday in _DAYS:
        day, month = _digits(parts[1], 2), _MONTH_NUMBERS.get(parts[2])
        year = _digits(parts[3], 4)
        clock = _clock(parts[4])
    elif len(parts) == 4 and parts[3] == "GMT" and weekday in _LONG_DAYS:
        pieces = parts[1].split("-")
        if len(pieces) != 3:
            return None
        day, month = _digits(pieces[0], 2), _MONTH_NUMBERS.get(pieces[1])
        short = _digits(pieces[2], 2)
        year = None
        if short is not None:
            this_year = time.gmtime().tm_year
            year = this_year - this_year % 100 + short
            if year > this_year + 50:
                year -= 100
        clock = _clock(parts[2])
    elif len(parts) == 5 and parts[0] in _DAYS:
        month = _MONTH_NUMBERS.get(parts[1])
        day = _digits(parts[2], 2) if len(parts[2]) == 2 else _digits(parts[2], 1)
        clock, year = _clock(parts[3]), _digits(parts[4], 4)
    else:
        return None
    if day is None or month is None or year is None or clock is None:
        return None
    hour, minute, second = clock
    try:
        moment = datetime.datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:  # 30 February, 25 o'clock, ...
        return None
    return calendar.timegm(moment.timetuple())


class EntityTag(NamedTuple):
    """An entity tag (RFC 9110 §8.8.3): its ``opaque`` text, without the quotes, and
    whether it is ``weak``. ``str()`` gives it as sent: ``"abc"`` or ``W/"abc"``."""

    opaque: str
    weak: bool = False

    def __str__(self) -> str:
        return f'W/"{self.opaque}"' if self.weak else f'"{self.opaque}"'


def parse_entity_tags(value: str) -> list[EntityTag] | None:
    """The entity tags of an ``If-Match`` or ``If-None-Match`` field, in order;
    ``None`` when the field is ``*`` (any current representation).

    ``W/"a", "b"`` → ``[EntityTag("a", weak=True), EntityTag("b")]``. RFC 9110 §8.8.3:
    ``entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE``; a comma may sit inside the quotes,
    so the list is scanned rather than split. Elements that are not entity tags are
    skipped, and an unterminated quote ends the list. Every step moves forward: linear.
    """
    if value.strip(" \t") == "*":
        return None
    tags: list[EntityTag] = []
    end = len(value)
    pos = 0
    while pos < end:
        char = value[pos]
        if char in " \t,":
            pos += 1
            continue
        weak = value.startswith("W/", pos, pos + 2)
        if weak:
            pos += 2
        if pos < end and value[pos] == '"':
            close = value.find('"', pos + 1)
            if close < 0:
                break
            tags.append(EntityTag(value[pos + 1 : close], weak))
            pos = close + 1
        else:
            comma = value.find(",", pos)
            pos = end if comma < 0 else comma + 1
    return tags


def parse_entity_tag(value: str) -> EntityTag | None:
    """The first entity tag of ``value`` (an ``ETag`` field: ``'W/"abc"'``), or ``None``
    when it holds none."""
    tags = parse_entity_tags(value)
    return tags[0] if tags else None


def strong_match(a: EntityTag, b: EntityTag) -> bool:
    """RFC 9110 §8.8.3.2 strong comparison: neither tag is weak and their opaque tags
    are equal (``"1"`` and ``"1"`` match; ``W/"1"`` matches nothing)."""
    return not a.weak and not b.weak and a.opaque == b.opaque


def weak_match(a: EntityTag, b: EntityTag) -> bool:
    """RFC 9110 §8.8.3.2 weak comparison: the opaque tags are equal, either or both
    tags may be weak (``W/"1"`` matches ``"1"``)."""
    return a.opaque == b.opaque


def evaluate_preconditions(
    method: str,
    *,
    etag: str | None,
    last_modified: int | None,
    if_match: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
    if_unmodified_since: str | None = None,
) -> int | None:
    """What the preconditions of a request for an existing representation decide:
    ``412``, ``304`` or ``None`` (go on and answer normally).

    ``etag`` is the representation's entity tag as sent (``'"abc"'``), ``last_modified``
    its modification time in whole seconds; each header argument is the field's value
    (several lines joined with ``", "``), or ``None`` when absent. RFC 9110 §13.2.2,
    in order:

    1. If-Match present: false (no current tag matches strongly, §8.8.3.2) → 412.
    2. Else If-Unmodified-Since with a valid date: modified after it → 412.
    3. If-None-Match present: true for ``*`` or any tag matching weakly → 304 for GET
       and HEAD, 412 for other methods.
    4. Else, for GET and HEAD, If-Modified-Since with a valid date: not modified after
       it → 304. If-Modified-Since is ignored whenever If-None-Match is present
       (§13.1.3), which is what lets an ``If-None-Match: "stale"`` beat a date that
       matches (Starlette #3052).

    Invalid dates are ignored, as §13.1.3 and §13.1.4 require.
    """
    current = parse_entity_tag(etag) if etag else None
    if if_match is not None:
        tags = parse_entity_tags(if_match)
        if tags is not None and (
            current is None or not any(strong_match(tag, current) for tag in tags)
        ):
            return 412
    elif if_unmodified_since is not None and last_modified is not None:
        date = parse_http_date(if_unmodified_since)
        if date is not None and last_modified > date:
            return 412
    safe = method in ("GET", "HEAD")
    if if_none_match is not None:
        tags = parse_entity_tags(if_none_match)
        if tags is None or (current is not None and any(weak_match(t, current) for t in tags)):
            return 304 if safe else 412
    elif safe and if_modified_since is not None and last_modified is not None:
        date = parse_http_date(if_modified_since)
        if date is not None and last_modified <= date:
            return 304
    return None


def if_range_allows(value: str, *, etag: str | None, last_modified: int | None) -> bool:
    """Whether an ``If-Range`` field lets the Range header apply (RFC 9110 §13.1.5).

    An entity tag must match the current one strongly (a weak tag never does); an
    HTTP-date must equal the Last-Modified that a 200 would carry, to the second.
    Anything else is false, and the whole representation is sent.
    """
    text = value.strip(" \t")
    if text.startswith(('"', "W/")):
        tags = parse_entity_tags(text)
        if not tags or len(tags) != 1 or etag is None:
            return False
        current = parse_entity_tag(etag)
        return current is not None and strong_match(tags[0], current)
    date = parse_http_date(text)
    return date is not None and last_modified is not None and date == last_modified
