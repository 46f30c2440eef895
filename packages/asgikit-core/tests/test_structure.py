"""The structure the state machines rely on, checked on the source.

No private name crosses the boundary between ``asgikit.requests`` and
``asgikit.responses``, and each phase is written only in the module of its state machine.
"""

from __future__ import annotations

import ast
import importlib.machinery
import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from asgikit.requests import COMPILED, Request
from asgikit.responses import Response, ResponsePhase, ResponseState
from asgikit.testing import Channel

SRC = Path(__file__).resolve().parents[1] / "src" / "asgikit"
PACKAGES = ("requests", "responses")


def _modules(package: str) -> list[Path]:
    return sorted((SRC / package).glob("*.py"))


def _private_imports(path: Path, other: str) -> list[str]:
    """Imports in ``path`` of a private module or name of ``asgikit.<other>``."""
    found = []
    prefix = f"asgikit.{other}"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            module, names = node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            module, names = "", [alias.name for alias in node.names]
        else:
            continue
        for name in [module, *(f"{module}.{n}" if module else n for n in names)]:
            if name == prefix or name.startswith(prefix + "."):
                parts = name.split(".")[2:]
                if any(part.startswith("_") for part in parts):
                    found.append(f"{path.name}:{node.lineno} {name}")
    return found


@pytest.mark.parametrize(("package", "other"), [PACKAGES, PACKAGES[::-1]])
def test_no_private_name_crosses_between_requests_and_responses(package: str, other: str) -> None:
    found = [hit for path in _modules(package) for hit in _private_imports(path, other)]
    assert found == []


def test_the_import_check_sees_a_private_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from asgikit.responses import _send_whole\n"
        "from asgikit.responses._state import NEW\n"
        "import asgikit.responses._writer\n"
        "from asgikit.responses import Response\n"
    )
    assert [hit.split()[1] for hit in _private_imports(sample, "responses")] == [
        "asgikit.responses._send_whole",
        "asgikit.responses._state",
        "asgikit.responses._state.NEW",
        "asgikit.responses._writer",
    ]


def _phase_writes(path: Path) -> list[str]:
    """Where ``path`` assigns an attribute named ``phase`` outside an ``__init__``."""
    found = []
    tree = ast.parse(path.read_text(), str(path))
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if function.name == "__init__":
            continue
        for node in ast.walk(function):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "phase":
                    found.append(f"{path.relative_to(SRC)}:{target.lineno} in {function.name}")
    return found


def test_phases_change_only_in_the_module_of_their_state_machine() -> None:
    writers = {
        str(path.relative_to(SRC)).split(":")[0]
        for package in SRC.iterdir()
        if package.is_dir()
        for path in package.glob("*.py")
        if _phase_writes(path)
    }
    assert writers == {"responses/_state.py", "requests/_body.py"}


@pytest.mark.skipif(COMPILED, reason="a compiled class has its attributes but no __slots__")
def test_the_exchange_starts_as_a_new_response_state() -> None:
    # The exchange writes ResponseState.__init__ out (a call per request saved).
    from asgikit.requests._exchange import Exchange

    fresh, exchange = ResponseState(), Exchange()
    for slot in ResponseState.__slots__:
        assert getattr(exchange, slot) == getattr(fresh, slot), slot
    assert exchange.phase is ResponsePhase.NEW


def _public_methods(cls: type) -> dict[str, object]:
    return {
        name: member
        for name, member in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }


# The whole-response methods are plain functions that return the coroutine of the one
# send path (ResponseState.respond): a coroutine level less per response.
_RETURN_A_COROUTINE = {"respond_bytes", "respond_text", "respond_json", "respond_status"}


@pytest.mark.skipif(
    COMPILED, reason="a compiled coroutine method is not an inspect coroutine function"
)
async def test_every_public_reading_and_responding_method_is_async(
    make_request: Callable[..., tuple[Request, Channel]],
) -> None:
    methods = _public_methods(Request)
    assert "read_bytes" in methods and "respond_redirect" in methods
    synchronous = {
        name
        for name, member in methods.items()
        if not (inspect.iscoroutinefunction(member) or inspect.isasyncgenfunction(member))
    }
    # response_writer() gives an async context manager; it sends nothing itself. The
    # negotiation helpers read headers only: no I/O, nothing to await.
    # read_stream() returns an async generator, written in a module that stays pure
    # Python in the compiled build (mypyc compiles no async generator).
    assert synchronous == {"response_writer", "accepts", "best_match", "read_stream"} | (
        _RETURN_A_COROUTINE
    )
    request, _ = make_request()
    stream = request.read_stream()
    assert inspect.isasyncgen(stream)
    assert [chunk async for chunk in stream] == []
    for name, member in _public_methods(Response).items():
        assert inspect.iscoroutinefunction(member), name


async def test_the_whole_response_methods_send_only_when_awaited(
    make_request: Callable[..., tuple[Request, Channel]],
) -> None:
    calls: dict[str, Callable[[Request], Awaitable[None]]] = {
        "respond_bytes": lambda r: r.respond_bytes(b"x"),
        "respond_text": lambda r: r.respond_text("x"),
        "respond_json": lambda r: r.respond_json({"x": 1}),
        "respond_status": lambda r: r.respond_status(204),
    }
    assert set(calls) == _RETURN_A_COROUTINE
    for name, call in calls.items():
        request, channel = make_request()
        pending = call(request)
        assert channel.sent == [] and request.response.phase is ResponsePhase.NEW, name
        assert inspect.isawaitable(pending), name
        await pending
        assert request.response.is_finished, name
        assert channel.sent[0]["type"] == "http.response.start", name


def test_compiled_says_which_build_is_loaded() -> None:
    import asgikit.requests

    module_file = str(asgikit.requests.__file__)
    extension = module_file.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    assert asgikit.requests.COMPILED is extension
