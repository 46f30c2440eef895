"""Content negotiation: asgikit.headers.accept and Request.best_match / accepts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.asgi import Receive, Scope, Send
from asgikit.headers.accept import (
    AcceptItem,
    MediaRange,
    negotiate,
    negotiate_charset,
    negotiate_encoding,
    negotiate_language,
    negotiate_media_type,
    parse_accept,
    parse_accept_charset,
    parse_accept_encoding,
    parse_accept_language,
)
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

MakeRequest = Callable[..., tuple[Request, Channel]]
ScanCost = Callable[[Callable[[str], object], str], int]

# RFC 9110 §12.5.1, the example and the table of weights it gives.
RFC_ACCEPT = (
    "text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, "
    "text/plain;format=fixed;q=0.4, */*;q=0.5"
)
RFC_WEIGHTS = [
    ("text/plain;format=flowed", 1.0),
    ("text/plain", 0.7),
    ("text/html", 0.3),
    ("image/jpeg", 0.5),
    ("text/plain;format=fixed", 0.4),
    ("text/html;level=3", 0.3),
]


@pytest.mark.parametrize(("offer", "weight"), RFC_WEIGHTS)
def test_the_rfc_9110_table(offer: str, weight: float) -> None:
    # The offer wins over one of a weight just below it and loses to one just above:
    # an exact way to read the weight through the public API.
    above = next((o for o, w in RFC_WEIGHTS if w > weight), None)
    below = [o for o, w in RFC_WEIGHTS if w < weight]
    for other in below:
        assert negotiate_media_type(RFC_ACCEPT, [other, offer]) == offer
    if above is not None:
        assert negotiate_media_type(RFC_ACCEPT, [offer, above]) == above


def test_parse_accept_keeps_params_and_drops_extensions() -> None:
    assert parse_accept('Text/HTML;Level="1";q=0.5;ext=x, application/json') == [
        MediaRange("text", "html", (("level", "1"),), 0.5),
        MediaRange("application", "json"),
    ]


@pytest.mark.parametrize(
    "header",
    [
        "text",  # no subtype
        "text/",
        "/html",
        "*/html",  # a wildcard type needs a wildcard subtype
        "te xt/html",
        "text/html;q=1.5",
        "text/html;q=-1",
        "text/html;q=0.0001",
        "text/html;q=",
        "text/html;q=1.001",
        "text/html;q=\u0661",  # an Arabic-Indic digit is no DIGIT
        "",
        ",,, ,",
    ],
)
def test_malformed_accept_elements_are_skipped(header: str) -> None:
    assert parse_accept(header + ", application/json") == [MediaRange("application", "json")]


@pytest.mark.parametrize(
    ("header", "offers", "expected"),
    [
        (None, ["application/json", "text/html"], "application/json"),  # absent: anything
        ("", ["application/json", "text/html"], "application/json"),
        ("garbage", ["application/json"], "application/json"),  # no valid element
        ("text/html", ["application/json"], None),
        ("application/json;q=0", ["application/json"], None),  # q=0: not acceptable
        ("*/*, application/json;q=0", ["application/json", "text/html"], "text/html"),
        ("text/*, text/html", ["text/plain", "text/html"], "text/html"),  # more specific
        ("application/json, text/html", ["text/html", "application/json"], "text/html"),
        (
            "application/*;q=0.2, text/html;q=0.1",
            ["text/html", "application/xml"],
            "application/xml",
        ),
        ("text/html;charset=UTF-8", ["text/html; charset=utf-8"], "text/html; charset=utf-8"),
        ("text/html;charset=utf-8", ["text/html"], None),  # the offer lacks the parameter
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",  # a browser
            ["application/json", "text/html"],
            "text/html",
        ),
        ('text/html;x="a,b", application/json;q=0.1', ["application/json"], "application/json"),
        ("application/json", [], None),
    ],
)
def test_negotiate_media_type(header: str | None, offers: list[str], expected: str | None) -> None:
    assert negotiate_media_type(header, offers) == expected


@pytest.mark.parametrize("offer", ["json", "text/*", "*/*", ""])
def test_an_offer_that_is_no_media_type_is_the_applications_mistake(offer: str) -> None:
    with pytest.raises(ValueError, match="not a media type"):
        negotiate_media_type("text/html", [offer])
    with pytest.raises(ValueError, match="not a media type"):
        negotiate_media_type(None, [offer])


@pytest.mark.parametrize(
    ("header", "offers", "expected"),
    [
        ("en", ["fr", "en-GB"], "en-GB"),  # RFC 4647 §3.3.1 filtering: en covers en-GB
        ("en-GB", ["fr", "en"], "en"),  # RFC 4647 §3.4 lookup: en-GB falls back to en
        ("en-GB", ["en-US", "en"], "en"),  # en-US is not a fallback of en-GB
        ("en-gb", ["EN-GB"], "EN-GB"),  # tags compare without case
        ("en-GB, fr;q=0.5", ["fr", "en"], "en"),
        ("en-GB;q=0.4, fr;q=0.5", ["fr", "en"], "fr"),  # the fallback keeps the weight
        ("en-GB, en;q=0.2", ["en"], "en"),
        ("en;q=0", ["en-GB", "fr"], None),  # en refused: en-GB too, and fr not asked
        ("en-GB;q=0, en", ["en-GB", "en"], "en"),  # en-GB refused, en not
        ("en-GB;q=0", ["en"], None),  # a refusal is no fallback
        ("de, en-GB;q=0.8, *;q=0.1", ["fr", "en"], "en"),  # the fallback beats *
        ("*", ["fr", "en"], "fr"),
        ("*;q=0, fr", ["de", "fr"], "fr"),
        ("en, en-GB", ["en-US", "en-GB"], "en-GB"),  # exact beats the prefix
        ("en-*", ["en"], "en"),  # not a basic range: ignored, so anything goes
        (None, ["de", "en"], "de"),
        ("de-DE-1996, de;q=0.8", ["de-CH", "de-DE"], "de-DE"),
    ],
)
def test_negotiate_language(header: str | None, offers: list[str], expected: str | None) -> None:
    assert negotiate_language(header, offers) == expected


@pytest.mark.parametrize(
    ("header", "offers", "expected"),
    [
        (None, ["br", "identity"], "identity"),  # not asked: no coding
        (None, ["br", "gzip"], "br"),  # RFC: any coding acceptable
        ("", ["br", "identity"], "identity"),  # empty: no coding wanted
        ("", ["br"], None),
        ("gzip;q=0.5", ["br", "gzip", "identity"], "gzip"),  # named beats implicit identity
        ("gzip;q=0.5, identity", ["br", "gzip", "identity"], "identity"),
        ("gzip, identity", ["identity", "gzip"], "identity"),  # tie: the server's order
        ("*", ["br", "identity"], "br"),
        ("*;q=0", ["br", "identity"], None),  # * refuses identity too
        ("*;q=0, identity", ["br", "identity"], "identity"),
        ("identity;q=0", ["identity"], None),
        ("br;q=0", ["br", "identity"], "identity"),
        ("x-gzip", ["gzip"], "gzip"),  # RFC 9110 §8.4.1.3
        ("gzip", ["x-gzip"], "x-gzip"),
        ("GZIP;Q=0.5", ["gzip"], "gzip"),
        ("gzip;q=2", ["gzip", "identity"], "identity"),  # malformed weight: skipped
    ],
)
def test_negotiate_encoding(header: str | None, offers: list[str], expected: str | None) -> None:
    assert negotiate_encoding(header, offers) == expected


@pytest.mark.parametrize(
    ("header", "offers", "expected"),
    [
        ("iso-8859-5, unicode-1-1;q=0.8", ["utf-8", "unicode-1-1"], "unicode-1-1"),  # §12.5.2
        ("utf-8, *;q=0.1", ["latin-1", "UTF-8"], "UTF-8"),
        ("*;q=0.1, latin-1;q=0", ["latin-1", "utf-8"], "utf-8"),
        ("utf8", ["utf-8"], None),  # no aliasing
        (None, ["utf-8"], "utf-8"),
    ],
)
def test_negotiate_charset(header: str | None, offers: list[str], expected: str | None) -> None:
    assert negotiate_charset(header, offers) == expected


def test_token_parsers() -> None:
    assert parse_accept_language("en-GB, FR;q=0.5, x_y, en-toolongsubtag") == [
        AcceptItem("en-gb"),
        AcceptItem("fr", 0.5),
    ]
    assert parse_accept_encoding("x-gzip;q=0.8, br, x-compress, gz ip") == [
        AcceptItem("gzip", 0.8),
        AcceptItem("br"),
        AcceptItem("compress"),
    ]
    assert parse_accept_charset("utf-8;q=0.9, *;q=0.1") == [
        AcceptItem("utf-8", 0.9),
        AcceptItem("*", 0.1),
    ]


def test_negotiate_dispatches_by_header() -> None:
    assert negotiate("accept", "text/html", ["application/json", "text/html"]) == "text/html"
    assert negotiate("accept-language", "fr", ["en", "fr"]) == "fr"
    assert negotiate("accept-encoding", "br", ["gzip", "br"]) == "br"
    assert negotiate("accept-charset", "latin-1", ["utf-8", "latin-1"]) == "latin-1"
    with pytest.raises(ValueError, match="cannot negotiate 'accept-ranges'"):
        negotiate("accept-ranges", "bytes", ["bytes"])  # type: ignore[arg-type]


# -- the request ---------------------------------------------------------------------


def test_request_best_match_and_accepts(make_request: MakeRequest) -> None:
    request, _ = make_request(
        headers=[
            ("accept", "text/html;q=0.9"),
            ("accept", "application/json"),  # a second line counts too
            ("accept-language", "en-GB"),
            ("accept-encoding", "gzip"),
        ]
    )
    assert request.best_match(["text/html", "application/json"]) == "application/json"
    assert request.accepts("text/html")
    assert not request.accepts("image/png")
    assert request.best_match(["fr", "en"], header="accept-language") == "en"
    assert request.accepts("gzip", header="accept-encoding")
    assert not request.accepts("br", header="accept-encoding")
    assert request.best_match(["utf-8"], header="accept-charset") == "utf-8"


def test_a_request_without_accept_accepts_anything(make_request: MakeRequest) -> None:
    request, _ = make_request()
    assert request.accepts("application/json")
    assert request.best_match(["text/html", "application/json"]) == "text/html"
    assert request.best_match(["br", "identity"], header="accept-encoding") == "identity"


ELEMENTS = st.sampled_from(
    [
        "text/html",
        "text/*;q=0.5",
        "application/json;q=0.9",
        "*/*;q=0.1",
        'text/plain;format="a,b"',
        "application/json;q=0",
        "garbage",
        "image/*;q=0.001",
    ]
)


@given(st.lists(ELEMENTS, min_size=1, max_size=6), st.data())
def test_header_lines_split_anywhere_between_elements_agree(
    elements: list[str], data: st.DataObject
) -> None:
    # One line or the same elements over several lines: the same choice.
    cut = data.draw(st.integers(0, len(elements)))
    offers = ["text/html", "application/json", "text/plain;format=a,b", "image/png"]
    whole = Request(*_scope_parts([("accept", ", ".join(elements))]))
    lines = [", ".join(part) for part in (elements[:cut], elements[cut:])]
    split = Request(*_scope_parts([("accept", line) for line in lines]))
    assert whole.best_match(offers) == split.best_match(offers)


def _scope_parts(headers: list[tuple[str, str]]) -> tuple[Scope, Receive, Send]:
    channel = Channel.with_body(b"")
    return http_scope("GET", "/", headers=headers), channel.receive, channel.send


# -- properties ----------------------------------------------------------------------

HEADER_TEXT = st.text(alphabet=st.sampled_from('abc/*;=q0.1, "\\\t-x'), max_size=80) | st.text(
    max_size=80
)


@given(HEADER_TEXT)
def test_parsers_never_raise(header: str) -> None:
    parse_accept(header)
    parse_accept_language(header)
    parse_accept_encoding(header)
    parse_accept_charset(header)
    assert negotiate_media_type(header, ["text/html", "application/json"]) in (
        None,
        "text/html",
        "application/json",
    )
    assert negotiate_language(header, ["en", "fr-CA"]) in (None, "en", "fr-CA")
    assert negotiate_encoding(header, ["br", "identity"]) in (None, "br", "identity")
    assert negotiate_charset(header, ["utf-8"]) in (None, "utf-8")


@given(HEADER_TEXT)
def test_accept_round_trips(header: str) -> None:
    ranges = parse_accept(header)
    assert parse_accept(", ".join(map(str, ranges))) == ranges


@given(HEADER_TEXT)
def test_token_headers_round_trip(header: str) -> None:
    for parse in (parse_accept_language, parse_accept_encoding, parse_accept_charset):
        items = parse(header)
        assert parse(", ".join(map(str, items))) == items


@given(st.lists(ELEMENTS, max_size=6))
def test_the_choice_is_acceptable_and_none_means_none_is(elements: list[str]) -> None:
    header = ", ".join(elements)
    offers = ["text/html", "application/json", "image/png"]
    chosen = negotiate_media_type(header, offers)
    accepted = [offer for offer in offers if negotiate_media_type(header, [offer]) is not None]
    if chosen is None:
        assert accepted == []
    else:
        assert chosen in accepted
        # The choice does not depend on where the server lists it among equals or worse.
        assert negotiate_media_type(header, [chosen, *offers]) == chosen


# -- linear work ---------------------------------------------------------------------

HOSTILE: list[Callable[[int], str]] = [
    lambda n: "a/b;" * n,
    lambda n: 'a/b;x="' + '\\"' * n,  # one quoted string never closed, full of escapes
    lambda n: ',"' * n,
    lambda n: "\\" * n,
    lambda n: "a/b;q=1," * n,
    lambda n: '"' * n,
    lambda n: "=" * n,
    lambda n: "en-" * n,
    lambda n: "a" * n,
]


@pytest.mark.parametrize("build", HOSTILE)
@pytest.mark.parametrize(
    "parse",
    [
        parse_accept,
        parse_accept_language,
        parse_accept_encoding,
        parse_accept_charset,
        lambda value: negotiate_media_type(value, ["text/html", "application/json"]),
        lambda value: negotiate_language(value, ["en", "en-GB"]),
        lambda value: negotiate_encoding(value, ["br", "gzip", "identity"]),
    ],
)
def test_work_is_linear(
    build: Callable[[int], str], parse: Callable[[str], object], scan_cost: ScanCost
) -> None:
    # Counted, not timed: characters examined per character of input may not grow.
    small, large = build(2_000), build(16_000)
    per_char = [scan_cost(parse, text) / len(text) for text in (small, large)]
    assert per_char[1] <= 1.25 * per_char[0], per_char
