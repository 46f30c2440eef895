"""Every public module lists exactly its public names in ``__all__``."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = [
    "asgikit.asgi",
    "asgikit.cookies",
    "asgikit.errors",
    "asgikit.headers",
    "asgikit.json_codec",
    "asgikit.lifespan",
    "asgikit.multivalue",
    "asgikit.query",
    "asgikit.requests",
    "asgikit.responses",
    "asgikit.testing",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, item) for item in exported)
    defined = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == name
    }
    assert defined <= exported, f"public but not in __all__: {defined - exported}"


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
