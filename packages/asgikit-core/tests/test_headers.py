from __future__ import annotations

from collections.abc import Callable, MutableMapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.errors import HeaderValueError, MalformedHeaderError, ResponseStateError
from asgikit.headers import (
    Headers,
    MutableHeaders,
    RawHeaders,
    parse_content_length,
    parse_content_type,
    parse_parameters,
)
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

ScanCost = Callable[[Callable[[str], object], str], int]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text/html", ("text/html", {})),
        ("Text/HTML; Charset=UTF-8", ("text/html", {"charset": "UTF-8"})),
        ('text/plain; charset="utf-8"', ("text/plain", {"charset": "utf-8"})),
        ("text/plain ;charset = latin-1 ", ("text/plain", {"charset": "latin-1"})),
        ('multipart/form-data; boundary="a;b=c"', ("multipart/form-data", {"boundary": "a;b=c"})),
        (r'a; x="q\"uote\\d"', ("a", {"x": 'q"uote\\d'})),
        ("a; b; c=1;; d = x ; c=2", ("a", {"c": "1", "d": "x"})),  # first wins, bare items skipped
        ('a; b="unterminated', ("a", {"b": "unterminated"})),
        ("a;", ("a", {})),
        ("", ("", {})),
        (
            'form-data; name="f"; filename="a.txt"',
            ("form-data", {"name": "f", "filename": "a.txt"}),
        ),
    ],
)
def test_parse_parameters(value: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_parameters(value) == expected


def test_parse_content_type_missing_and_empty() -> None:
    assert parse_content_type(None) == (None, {})
    assert parse_content_type("") == (None, {})


@given(st.text())
def test_parse_parameters_never_raises(value: str) -> None:
    main, params = parse_parameters(value)
    assert isinstance(main, str) and all(isinstance(v, str) for v in params.values())


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
        st.text(st.characters(min_codepoint=32, max_codepoint=126)),
        max_size=5,
    )
)
def test_quoted_parameters_round_trip(params: dict[str, str]) -> None:
    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    header = "type/sub" + "".join(f"; {name}={quote(value)}" for name, value in params.items())
    assert parse_parameters(header) == ("type/sub", params)


@pytest.mark.parametrize(
    "build",
    [
        lambda n: "a" + ";a" * n + "=b",  # ';' is not a separator inside values: a;a;a;...
        lambda n: "a" + ';a=""' * n,
        lambda n: 'a; b="' + "\\" * n,  # CVE-2024-24762's shape: backslashes, no closing quote
        lambda n: 'a; b="' + '\\"' * n,
        lambda n: "a" + ";" * n,
        lambda n: "a; " + "=" * n,
    ],
)
def test_parse_parameters_is_linear(build: Callable[[int], str], scan_cost: ScanCost) -> None:
    # Counted, not timed: the characters examined per character of input may not grow
    # with the input (a quadratic step makes them grow eightfold here).
    small, large = build(2_000), build(16_000)
    per_char = [scan_cost(parse_parameters, text) / len(text) for text in (small, large)]
    assert per_char[1] <= 1.25 * per_char[0], per_char


@pytest.mark.parametrize(
    ("values", "expected"),
    [([b"0"], 0), ([b"42"], 42), ([b"5, 5"], 5), ([b"5", b"5"], 5), ([], None), ([b" 7 "], 7)],
)
def test_content_length_valid(values: list[bytes], expected: int | None) -> None:
    assert parse_content_length(values) == expected


@pytest.mark.parametrize(
    "values",
    [
        [b"-1"],
        [b"+5"],
        [b"1_0"],
        [b""],
        [b"abc"],
        ["\uff15".encode()],  # a non-ASCII digit that int() would take
        [b"1e3"],
        [b"5", b"6"],
        [b"5, 6"],
        [b"9" * 30],
        [b"0x10"],
    ],
)
def test_content_length_malformed_is_400(values: list[bytes]) -> None:
    with pytest.raises(MalformedHeaderError) as info:
        parse_content_length(values)
    assert info.value.status_code == 400


@given(st.lists(st.binary(max_size=30), max_size=3))
def test_content_length_raises_only_our_error(values: list[bytes]) -> None:
    try:
        result = parse_content_length(values)
    except MalformedHeaderError:
        return
    assert result is None or result >= 0


def test_headers_lookup_is_case_insensitive_and_keeps_duplicates() -> None:
    headers = Headers([(b"accept", b"a"), (b"x-dup", b"1"), (b"x-dup", b"2"), (b"cookie", b"c=1")])
    assert headers["Accept"] == "a"
    assert headers.get("X-DUP") == "1"
    assert headers.get_all("x-dup") == ["1", "2"]
    assert headers.get_raw("x-dup") == [b"1", b"2"]
    assert "COOKIE" in headers and "missing" not in headers
    assert headers.get("missing") is None and headers.get("missing", "d") == "d"
    assert headers.get_all("missing") == []
    assert list(headers) == ["accept", "x-dup", "cookie"] and len(headers) == 3
    with pytest.raises(KeyError):
        headers["missing"]


def test_headers_from_a_server_that_did_not_lower_case() -> None:
    headers = Headers([(b"Content-Type", b"text/plain"), (b"X-A", b"1"), (b"x-a", b"2")])
    assert headers.get("content-type") == "text/plain"
    assert headers.get_all("x-a") == ["1", "2"]
    assert sorted(headers) == ["content-type", "x-a"]


header_lines = st.lists(
    st.tuples(
        st.sampled_from(
            [b"a", b"A", b"x-a", b"X-A", b"x-A", b"content-length", b"Content-Length", b"1"]
        ),
        st.binary(max_size=3),
    ),
    max_size=6,
)


@given(st.lists(header_lines, min_size=1, max_size=4))
def test_headers_agree_with_a_model_whatever_came_before(batches: list[RawHeaders]) -> None:
    # Requests one after the other: what the index remembers across requests (the names
    # known to be in lower case) never changes what a later request's headers say.
    for raw in batches:
        headers = Headers(raw)
        lowered = [(name.lower(), value) for name, value in raw]
        assert list(headers) == [n.decode() for n in dict.fromkeys(n for n, _ in lowered)]
        for name in {n for n, _ in lowered} | {b"missing"}:
            expected = [value for n, value in lowered if n == name]
            assert headers.get_raw(name.decode().upper()) == expected
            assert headers.get(name.decode()) == (
                expected[0].decode("latin-1") if expected else None
            )


def test_headers_values_are_latin1_and_never_resplit() -> None:
    headers = Headers([(b"x-list", b"a, b, c"), (b"x-text", "caf\xe9".encode("latin-1"))])
    assert headers.get_all("x-list") == ["a, b, c"]
    assert headers["x-text"] == "café"
    assert headers.get("ünïcode") is None


@pytest.mark.parametrize("value", ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\x00b", "a\x7fb", "a\x1bb"])
def test_response_header_values_with_controls_are_refused(value: str) -> None:
    headers = MutableHeaders()
    with pytest.raises(HeaderValueError):
        headers.add("x-test", value)
    with pytest.raises(HeaderValueError):
        headers.set("x-test", value)
    assert len(headers) == 0


@pytest.mark.parametrize("name", ["", "a b", "a:b", "a\r\nb", "é", "a(b"])
def test_response_header_names_must_be_tokens(name: str) -> None:
    with pytest.raises(HeaderValueError):
        MutableHeaders().add(name, "v")


def test_response_header_values_must_be_latin1() -> None:
    with pytest.raises(HeaderValueError, match="latin-1"):
        MutableHeaders().add("x", "snow ☃")


def test_mutable_headers_lines() -> None:
    headers = MutableHeaders({"X-A": "1"})
    headers.add("x-a", "2")
    headers.add("Set-Cookie", "a=1")
    headers.add("set-cookie", "b=2")
    assert headers.get_all("X-A") == ["1", "2"] and headers["x-a"] == "1"
    headers.set("x-a", "3")  # where the first x-a was, as dict assignment keeps its place
    assert headers.get_all("x-a") == ["3"]
    assert headers.raw == [(b"x-a", b"3"), (b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")]
    assert headers.setdefault("x-a", "9") == "3" and headers.setdefault("x-b", "9") == "9"
    del headers["set-cookie"]
    assert "set-cookie" not in headers and "x-b" in headers
    assert headers.multi_items() == [("x-a", "3"), ("x-b", "9")]


def test_mutable_headers_is_a_mapping_of_first_values() -> None:
    headers = MutableHeaders([("X-A", "1"), ("b", "2"), ("x-a", "3")])
    assert isinstance(headers, MutableMapping)
    assert list(headers) == ["x-a", "b"] and len(headers) == 2
    assert list(headers.keys()) == ["x-a", "b"]
    assert list(headers.values()) == ["1", "2"]
    assert list(headers.items()) == [("x-a", "1"), ("b", "2")]
    assert headers.multi_items() == [("x-a", "1"), ("b", "2"), ("x-a", "3")]
    assert dict(headers) == {"x-a": "1", "b": "2"}
    assert headers == {"x-a": "1", "b": "2"} and (headers == {"X-A": "1", "b": "2"}) is False
    assert headers == MutableHeaders(headers) and headers != MutableHeaders(dict(headers))
    assert headers.get("X-A") == "1" and headers.get("c") is None and headers.get("c", 0) == 0
    assert "X-a" in headers and not headers.__contains__(1) and "☃" not in headers
    assert headers.get("☃") is None and headers.get_all("☃") == []
    headers.remove("☃")
    with pytest.raises(KeyError):
        del headers["c"]
    with pytest.raises(KeyError):
        headers["c"]
    assert headers.pop("x-a") == "1" and headers.get_all("x-a") == []
    assert headers.pop("x-a", None) is None
    headers.update({"c": "4"}, d="5")
    assert headers.popitem() == ("b", "2")
    headers.clear()
    assert headers.raw == [] and not headers
    assert repr(MutableHeaders([("a", "1"), ("a", "2")])) == (
        "MutableHeaders([('a', '1'), ('a', '2')])"
    )


def test_mutable_headers_copy_every_line_of_other_headers() -> None:
    source = Headers([(b"X-A", b"1"), (b"x-a", b"2")])
    assert source.multi_items() == [("x-a", "1"), ("x-a", "2")]
    assert MutableHeaders(source).get_all("x-a") == ["1", "2"]
    assert MutableHeaders(MutableHeaders(source)).get_all("x-a") == ["1", "2"]


def test_frozen_headers_refuse_every_change_the_mapping_offers() -> None:
    headers = MutableHeaders({"a": "1"})
    headers.freeze("response already started")
    changes: list[Callable[[MutableHeaders], object]] = [
        lambda h: h.add("b", "2"),
        lambda h: h.set("a", "2"),
        lambda h: h.__setitem__("a", "2"),
        lambda h: h.__delitem__("a"),
        lambda h: h.__delitem__("missing"),
        lambda h: h.remove("a"),
        lambda h: h.pop("a"),
        lambda h: h.popitem(),
        lambda h: h.update(b="2"),
        lambda h: h.setdefault("b", "2"),
        lambda h: h.clear(),
    ]
    for change in changes:
        with pytest.raises(ResponseStateError, match="already started"):
            change(headers)
    assert headers.multi_items() == [("a", "1")]


async def test_response_headers_can_be_listed() -> None:
    channel = Channel()
    request = Request(http_scope(), channel.receive, channel.send)
    request.response.headers.add("X-Multi", "1")
    request.response.headers.add("x-multi", "2")
    request.response.headers["x-one"] = "a"
    assert list(request.response.headers) == ["x-multi", "x-one"]
    assert dict(request.response.headers.items()) == {"x-multi": "1", "x-one": "a"}


# Names differing in case, a Latin-1 letter that str.lower() would change, and a Kelvin
# sign that str.lower() turns into an ASCII "k".
_model_names = st.sampled_from(["a", "A", "x-a", "X-A", "k", "K", "b"])
_lookup_names = st.one_of(_model_names, st.sampled_from(["\u212a", "\xc9", "\xe9", "☃"]))
_model_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=3
)
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), _model_names, _model_values),
        st.tuples(st.just("set"), _model_names, _model_values),
        st.tuples(st.just("setdefault"), _model_names, _model_values),
        st.tuples(st.just("del"), _lookup_names, st.just("")),
        st.tuples(st.just("remove"), _lookup_names, st.just("")),
        st.tuples(st.just("pop"), _lookup_names, st.just("")),
    ),
    max_size=12,
)


@given(_operations, st.lists(_lookup_names, max_size=6))
def test_mutable_headers_match_a_list_of_pairs_model(
    operations: list[tuple[str, str, str]], lookups: list[str]
) -> None:
    """The model: a list of (name, value) pairs, names compared with ASCII case folding."""

    def fold(name: str) -> str:
        return name.translate({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})

    model: list[tuple[str, str]] = []
    headers = MutableHeaders()
    for operation, name, value in operations:
        key = fold(name)
        present = [v for n, v in model if n == key]
        if operation == "add":
            headers.add(name, value)
            model.append((key, value))
        elif operation == "set":
            headers[name] = value
            if present:
                first = next(i for i, (n, _) in enumerate(model) if n == key)
                model = model[:first] + [(key, value)] + [p for p in model[first:] if p[0] != key]
            else:
                model.append((key, value))
        elif operation == "setdefault":
            assert headers.setdefault(name, value) == (present[0] if present else value)
            if not present:
                model.append((key, value))
        elif operation == "remove":
            headers.remove(name)
            model = [p for p in model if p[0] != key]
        elif operation == "del":
            if present:
                del headers[name]
            else:
                with pytest.raises(KeyError):
                    del headers[name]
            model = [p for p in model if p[0] != key]
        else:
            assert headers.pop(name, None) == (present[0] if present else None)
            model = [p for p in model if p[0] != key]
        assert headers.multi_items() == model
        assert headers.raw == [(n.encode("latin-1"), v.encode("latin-1")) for n, v in model]

    firsts = dict(reversed(model))
    names = list(dict.fromkeys(n for n, _ in model))
    assert list(headers) == names and list(headers.keys()) == names
    assert len(headers) == len(names)
    assert list(headers.items()) == [(n, firsts[n]) for n in names]
    assert list(headers.values()) == [firsts[n] for n in names]
    assert headers == {n: firsts[n] for n in names}
    for name in lookups:
        key = fold(name)
        expected = [v for n, v in model if n == key]
        assert headers.get_all(name) == expected
        assert headers.get(name) == (expected[0] if expected else None)
        assert (name in headers) == bool(expected)


def test_a_name_repeated_in_different_cases_keeps_every_value() -> None:
    # RFC 9110 §5.3: field names are case-insensitive, and every line of a name counts.
    headers = Headers([(b"X-A", b"1"), (b"x-a", b"2")])
    assert headers.get_all("x-a") == ["1", "2"]
    assert headers.get_all("X-A") == ["1", "2"]
    assert headers.get("x-a") == "1"
    assert list(headers) == ["x-a"]


_header_names = st.sampled_from(["a", "A", "x-a", "X-A", "X-a", "b", "B", "c-d", "C-D"])
_header_values = st.binary(max_size=3).map(lambda v: v.replace(b"\r", b"").replace(b"\n", b""))


@given(
    st.lists(st.tuples(_header_names, _header_values), max_size=12),
    st.lists(_header_names, max_size=6),
)
def test_headers_match_a_case_insensitive_list_model(
    lines: list[tuple[str, bytes]], lookups: list[str]
) -> None:
    raw = [(name.encode("latin-1"), value) for name, value in lines]

    def model_all(name: str) -> list[str]:
        return [v.decode("latin-1") for n, v in raw if n.lower() == name.lower().encode()]

    # Each lookup order matters: the index is built lazily by the first one.
    headers = Headers(raw)
    for name in lookups:
        expected = model_all(name)
        assert headers.get_all(name) == expected
        assert headers.get(name) == (expected[0] if expected else None)
        assert (name in headers) == bool(expected)
    assert list(Headers(raw)) == list(dict.fromkeys(n.lower().decode("latin-1") for n, _ in raw))
    assert len(Headers(raw)) == len({n.lower() for n, _ in raw})


@given(
    st.lists(
        st.tuples(st.sampled_from([b"a", b"A", b"k", b"\xc9", b"\xe9"]), _header_values),
        max_size=8,
    ),
    st.lists(_lookup_names, max_size=6),
)
def test_request_headers_fold_ascii_letters_only(
    raw: list[tuple[bytes, bytes]], lookups: list[str]
) -> None:
    # RFC 9110 §5.1: field names are tokens, compared case-insensitively; a byte outside
    # ASCII is no letter to fold, and "\u212a" (Kelvin) is not the name "k".
    headers = Headers(raw)
    for name in lookups:
        try:
            key = name.encode("latin-1").lower()
        except UnicodeEncodeError:
            key = None
        expected = [v.decode("latin-1") for n, v in raw if n.lower() == key]
        assert headers.get_all(name) == expected
        assert (name in headers) == bool(expected)


def _rescans(text: str) -> None:
    pos = 0
    while (pos := text.find(";", pos) + 1) > 0:
        text.find("=", 0, pos)  # searches the prefix again each time


def _copies_tail(text: str) -> None:
    while text:
        _, _, text = text.partition(";")


def _char_loop(text: str) -> None:
    for index in range(len(text)):
        text[index : index + 1]


def test_scan_cost_sees_a_quadratic_parser(scan_cost: ScanCost) -> None:
    # The meter behind the linearity tests: a rescan or a copied tail is quadratic, a
    # loop over characters is not.
    small, large = ";" * 2_000, ";" * 16_000
    for quadratic in (_rescans, _copies_tail):
        assert scan_cost(quadratic, large) / len(large) > 6 * scan_cost(quadratic, small) / 2_000
    assert scan_cost(_char_loop, large) == 8 * scan_cost(_char_loop, small)
