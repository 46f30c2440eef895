"""The public names of every asgikit-core module, pinned; and the checker that compares
them (``asgikit.testing.export_problems``), shown to catch each fault it claims to."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

import asgikit.requests
import asgikit.responses
from asgikit.testing import export_problems, portion_problems

PUBLIC: dict[str, list[str]] = {
    "asgikit.asgi": ["ASGIApp", "Message", "Receive", "Scope", "Send"],
    "asgikit.cookies": [
        "Cookie",
        "CookieAttributes",
        "CookieOptions",
        "ResponseCookies",
        "SameSite",
        "parse_cookie_header",
    ],
    "asgikit.errors": [
        "AsgikitError",
        "BadRequestError",
        "BodyStateError",
        "ClientDisconnectedError",
        "ClientError",
        "ContentTooLargeError",
        "DisallowedHostError",
        "ExtensionUnavailableError",
        "HeaderValueError",
        "InvalidEncodingError",
        "InvalidFormError",
        "InvalidHostError",
        "InvalidJSONError",
        "MalformedHeaderError",
        "MethodNotAllowedError",
        "MissingDistributionError",
        "NotFoundError",
        "RangeNotSatisfiableError",
        "ResponseStateError",
        "StateError",
        "UnsupportedMediaTypeError",
        "UnsupportedScopeError",
    ],
    "asgikit.headers": [
        "Headers",
        "MutableHeaders",
        "RawHeaders",
        "decode_text",
        "encode_header_name",
        "encode_header_value",
        "lookup_charset",
        "parse_content_length",
        "parse_content_type",
        "parse_parameters",
    ],
    "asgikit.headers.conditional": [
        "EntityTag",
        "evaluate_preconditions",
        "format_http_date",
        "if_range_allows",
        "parse_entity_tag",
        "parse_entity_tags",
        "parse_http_date",
        "strong_match",
        "weak_match",
    ],
    "asgikit.headers.disposition": [
        "ContentDisposition",
        "content_disposition",
        "decode_ext_value",
        "parse_content_disposition",
    ],
    "asgikit.headers.range": ["DEFAULT_MAX_RANGES", "ByteRange", "content_range", "parse_range"],
    "asgikit.headers.accept": [
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
    ],
    "asgikit.headers.auth": [
        "BasicCredentials",
        "Challenge",
        "Credentials",
        "basic_challenge",
        "parse_authorization",
        "parse_basic",
        "parse_bearer",
        "parse_www_authenticate",
    ],
    "asgikit.headers.cache_control": [
        "CacheControl",
        "CacheControlDirectives",
        "cache_control",
        "parse_cache_control",
    ],
    "asgikit.headers.vary": ["add_vary", "merge_vary"],
    "asgikit.headers.forwarded": ["build_forwarded", "parse_forwarded"],
    "asgikit.json_codec": ["JSONDumps", "JSONLoads", "JSONTextLoads", "dumps", "loads"],
    "asgikit.lifespan": ["Lifespan", "LifespanContext"],
    "asgikit.multivalue": ["MultiValueDict"],
    "asgikit.proxies": ["ProxyHeaders", "apply_forwarded"],
    "asgikit.query": ["DEFAULT_MAX_FIELDS", "parse_urlencoded"],
    "asgikit.requests": [
        "COMPILED",
        "DEFAULT_MAX_BODY_SIZE",
        "DEFAULT_MAX_QUERY_PARAMS",
        "JSONDumps",
        "JSONLoads",
        "Request",
        "ResponseWriter",
    ],
    "asgikit.responses": [
        "Response",
        "ResponsePhase",
        "ResponseSettings",
        "ResponseState",
        "ResponseWriter",
        "ServerSentEvent",
        "check_status",
        "content_type_value",
    ],
    "asgikit.testing": [
        "Channel",
        "export_problems",
        "http_scope",
        "portion_problems",
        "scan_cost",
        "websocket_scope",
    ],
}

# Helpers a module imports under public names for its own use, not exported (none today:
# they are imported under private names; a stale entry here fails the test).
UNEXPORTED: dict[str, list[str]] = {}

SRC = Path(__file__).resolve().parent.parent / "src" / "asgikit"


def test_every_public_module_is_pinned_with_its_names() -> None:
    # Public packages, and the public modules inside them (asgikit.headers.accept).
    assert portion_problems(SRC, PUBLIC, unexported=UNEXPORTED) == []


# -- the checker, on the fault issue 11 names and on made-up modules ----------------------


def test_a_re_exported_class_leaving_all_is_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    # ResponseWriter is defined in the private asgikit.responses._writer and re-exported.
    # Dropped from __all__ (and from the pinned list with it), it is still noticed.
    without = [name for name in asgikit.responses.__all__ if name != "ResponseWriter"]
    monkeypatch.setattr(asgikit.responses, "__all__", without)
    problems = export_problems("asgikit.responses", without)
    assert problems == [
        "asgikit.responses.ResponseWriter (asgikit.responses._writer.ResponseWriter) "
        "is public but not in asgikit.responses.__all__"
    ]


def _module(name: str, **attributes: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


def _defined_in(module_name: str, name: str) -> type:
    return type(name, (), {"__module__": module_name})


@pytest.fixture
def fakekit(monkeypatch: pytest.MonkeyPatch) -> dict[str, types.ModuleType]:
    """``fakekit.pub`` re-exports ``Thing`` from its private ``_impl`` and shows ``Other``,
    defined in the private module of its sibling ``fakekit.other``, which exports it."""
    thing = _defined_in("fakekit.pub._impl", "Thing")
    other = _defined_in("fakekit.other._impl", "Other")
    modules = {
        "fakekit": _module("fakekit"),
        "fakekit.pub._impl": _module("fakekit.pub._impl", Thing=thing),
        "fakekit.other._impl": _module("fakekit.other._impl", Other=other),
        "fakekit.other": _module("fakekit.other", __all__=["Other"], Other=other),
        "fakekit.pub": _module(
            "fakekit.pub",
            __all__=["Thing", "LIMIT"],
            Thing=thing,
            Other=other,
            LIMIT=10,
            Path=Path,  # from outside the package: not its business
        ),
    }
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return modules


def test_a_correct_module_has_no_problem(fakekit: dict[str, types.ModuleType]) -> None:
    assert export_problems("fakekit.pub", ["LIMIT", "Thing"]) == []


def test_all_must_match_the_pinned_list(fakekit: dict[str, types.ModuleType]) -> None:
    assert export_problems("fakekit.pub", ["Thing", "MISSING"]) == [
        "fakekit.pub.__all__ lacks 'MISSING', which the test expects",
        "fakekit.pub.__all__ lists 'LIMIT', which the test does not expect",
    ]


def test_all_lists_importable_public_names_once(fakekit: dict[str, types.ModuleType]) -> None:
    vars(fakekit["fakekit.pub"])["__all__"] = ["Thing", "LIMIT", "Thing", "_hidden", "gone"]
    assert export_problems("fakekit.pub", ["Thing", "LIMIT", "_hidden", "gone"]) == [
        "fakekit.pub.__all__ lists 'Thing' more than once",
        "fakekit.pub.__all__ lists the private name '_hidden'",
        "fakekit.pub.__all__ lists '_hidden', which cannot be imported",
        "fakekit.pub.__all__ lists 'gone', which cannot be imported",
    ]


def test_a_class_defined_in_the_module_itself_must_be_listed(
    fakekit: dict[str, types.ModuleType],
) -> None:
    vars(fakekit["fakekit.pub"])["Local"] = _defined_in("fakekit.pub", "Local")
    assert export_problems("fakekit.pub", ["LIMIT", "Thing"]) == [
        "fakekit.pub.Local (fakekit.pub.Local) is public but not in fakekit.pub.__all__"
    ]


def test_a_sibling_s_private_class_must_be_exported_by_the_sibling(
    fakekit: dict[str, types.ModuleType],
) -> None:
    vars(fakekit["fakekit.other"])["__all__"] = []
    assert export_problems("fakekit.pub", ["LIMIT", "Thing"]) == [
        "fakekit.pub.Other (fakekit.other._impl.Other) is shown under a public name "
        "but fakekit.other does not export it"
    ]


def test_unexported_helpers_are_named_and_stale_names_reported(
    fakekit: dict[str, types.ModuleType],
) -> None:
    def helper() -> None: ...

    helper.__module__ = "fakekit.pub._impl"
    vars(fakekit["fakekit.pub"])["helper"] = helper
    assert export_problems("fakekit.pub", ["LIMIT", "Thing"], unexported=["helper"]) == []
    assert export_problems("fakekit.pub", ["LIMIT", "Thing"], unexported=["helper", "old"]) == [
        "'old' is listed as unexported but fakekit.pub shows no such public class or "
        "function that its __all__ leaves out"
    ]


def test_a_module_without_all_is_a_problem(fakekit: dict[str, types.ModuleType]) -> None:
    assert export_problems("fakekit", []) == ["fakekit has no __all__"]


def test_errors_carry_http_statuses() -> None:
    from asgikit import errors

    expected = {
        errors.BadRequestError: 400,
        errors.InvalidJSONError: 400,
        errors.InvalidEncodingError: 400,
        errors.InvalidFormError: 400,
        errors.MalformedHeaderError: 400,
        errors.NotFoundError: 404,
        errors.MethodNotAllowedError: 405,
        errors.ContentTooLargeError: 413,
        errors.UnsupportedMediaTypeError: 415,
        errors.RangeNotSatisfiableError: 416,
    }
    for error, status in expected.items():
        assert issubclass(error, errors.ClientError) and error.status_code == status
    assert issubclass(errors.ResponseStateError, RuntimeError)
    assert issubclass(errors.BodyStateError, RuntimeError)
    assert issubclass(errors.MissingDistributionError, ImportError)
    assert issubclass(errors.HeaderValueError, ValueError)
    assert issubclass(errors.UnsupportedScopeError, TypeError)
    assert not issubclass(errors.ClientDisconnectedError, errors.ClientError)


def test_client_errors_keep_the_developer_hint_apart() -> None:
    from asgikit import errors

    plain = errors.InvalidJSONError("the body is not valid JSON")
    assert plain.message == str(plain) == "the body is not valid JSON"
    assert plain.hint is None
    hinted = errors.UnsupportedMediaTypeError(
        "expected a JSON body", hint="check_media_type=False accepts any"
    )
    assert hinted.message == "expected a JSON body"
    assert str(hinted) == "expected a JSON body (check_media_type=False accepts any)"
    too_large = errors.ContentTooLargeError(
        "the body is larger than 10 bytes", limit=10, option="max_body_size"
    )
    assert too_large.message == "the body is larger than 10 bytes"
    assert too_large.hint == "max_body_size=10"
    assert "max_body_size=10" in str(too_large)


def test_an_application_subclasses_client_error_for_its_own_statuses() -> None:
    from asgikit.errors import ClientError

    class PaymentRequiredError(ClientError):
        status_code = 402

    exc = PaymentRequiredError("this report needs a paid plan", hint="plan checked in billing.py")
    assert exc.status_code == 402
    assert exc.message == "this report needs a paid plan"


def test_a_portion_with_an_unpinned_or_a_vanished_module_is_reported(tmp_path: Path) -> None:
    # A made-up portion: a public package with a public and a private module, a private
    # package, and a folder that is no package. Nothing pinned is there, so nothing is
    # imported.
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / "__init__.py").write_text("")
    (tmp_path / "kit" / "extra.py").write_text("")
    (tmp_path / "kit" / "_impl.py").write_text("")
    (tmp_path / "_private").mkdir()
    (tmp_path / "_private" / "__init__.py").write_text("")
    (tmp_path / "data").mkdir()
    assert portion_problems(tmp_path, {"asgikit.gone": []}) == [
        "asgikit.kit is public but not pinned",
        "asgikit.kit.extra is public but not pinned",
        "asgikit.gone is pinned but not public",
    ]


def test_a_portion_reports_what_export_problems_finds() -> None:
    pinned = {name: list(names) for name, names in PUBLIC.items()}
    pinned["asgikit.query"] = [*pinned["asgikit.query"], "Missing"]
    assert portion_problems(SRC, pinned, unexported=UNEXPORTED) == [
        "asgikit.query.__all__ lacks 'Missing', which the test expects"
    ]
