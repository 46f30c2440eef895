"""Tests of the pure parts of ``tools/`` and ``scripts/``: the pre-release policy, layout
rules on a made-up workspace, wheel-content rules, changelog moves, the uv bootstrap's
choice of wheel, the step runner of ``scripts/check``, the server start-up wait, and
mypy on the wheel typing snippets against the workspace. No builds, no venvs, no network:
the build and install parts are exercised by running ``tools/check_wheels.py`` and
``tools/check_install.py`` in CI, the bootstrap by ``.ci/run``."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

TOOLS = Path(__file__).resolve().parent.parent / "tools"


def _load(name: str) -> ModuleType:
    """Import ``tools/<name>.py`` without leaving the repository root on ``sys.path``."""
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    try:
        spec = importlib.util.spec_from_file_location(
            f"_asgikit_tools_{name}", TOOLS / f"{name}.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path[:] = saved_path
        for added in set(sys.modules) - saved_modules:
            if added == "tools" or added.startswith("tools."):
                del sys.modules[added]


layout: Any = _load("check_layout")
wheels: Any = _load("check_wheels")
lowest: Any = _load("lowest")
release: Any = _load("release")
bootstrap: Any = _load("bootstrap_uv")
ROOT = TOOLS.parent


# -- version ranges (packaging does PEP 440; the pre-release policy is ours) ---------------


@pytest.mark.parametrize(
    ("specifier", "version", "expected"),
    [
        (">=0.3,<0.4", "0.3.5", True),
        (">=0.3,<0.4", "0.4.0", False),
        (">=0.3, <0.4", "0.3", True),
        (">=0.3,<0.5", "0.4.0a1", False),  # PEP 440: no pre-release unless a clause names one
        (">=0.4.0a1,<0.5", "0.4.0a1", True),
        (">=0.4.0a1,<0.5", "0.4.0b2", True),
        ("<0.4", "0.4.0a1", False),
        ("~=0.3.1", "0.3.9", True),
        ("~=0.3.1", "0.4.0", False),
        ("==0.3.*", "0.3.7", True),
    ],
)
def test_admits(specifier: str, version: str, expected: bool) -> None:
    assert layout.admits(SpecifierSet(specifier), version) is expected


# -- layout rules on a made-up workspace -------------------------------------------------

ROOT_PYPROJECT = """
[tool.uv.workspace]
members = ["packages/*"]

[tool.uv.sources]
asgikit-core = { workspace = true }
asgikit-extra = { workspace = true }
"""


def _member_pyproject(name: str, version: str, deps: list[str]) -> str:
    return textwrap.dedent(
        f"""
        [project]
        name = "{name}"
        version = "{version}"
        requires-python = ">=3.11"
        dependencies = {deps!r}

        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [tool.hatch.build.targets.wheel]
        packages = ["src/asgikit"]
        """
    ).replace("'", '"')


def _write(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A valid two-member workspace: core (asgikit.alpha) and extra (asgikit.beta)."""
    _write(tmp_path / "pyproject.toml", ROOT_PYPROJECT)
    members = {
        "asgikit-core": ("0.3.0", [], "alpha", "from asgikit.alpha import _x\n"),
        "asgikit-extra": (
            "0.1.0",
            ["asgikit-core>=0.3,<0.4"],
            "beta",
            "from typing import TYPE_CHECKING\nimport asgikit.alpha\n"
            "if TYPE_CHECKING:\n    from asgikit.gamma import G\n",
        ),
    }
    for name, (version, deps, sub, code) in members.items():
        base = tmp_path / "packages" / name
        _write(base / "pyproject.toml", _member_pyproject(name, version, deps))
        _write(base / "README.md", f"# {name}\n")
        _write(base / "CHANGELOG.md", f"# Changelog\n\n## Unreleased\n\n## {version}\n\n- x\n")
        _write(base / "src" / "asgikit" / sub / "__init__.py", code)
        _write(base / "src" / "asgikit" / sub / "py.typed")
    return tmp_path


def test_valid_workspace_passes(workspace: Path) -> None:
    report = layout.check_workspace(workspace)
    assert report.problems == []
    assert any("admits the workspace's 0.3.0" in line for line in report.checked)


def test_main_exit_status(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert layout.main(["--root", str(workspace)]) == 0
    assert "all" in capsys.readouterr().out
    (workspace / "packages/asgikit-core/src/asgikit/__init__.py").write_text("")
    assert layout.main(["--root", str(workspace), "-q"]) == 1
    assert "__init__.py: must not exist" in capsys.readouterr().err


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, text)
    path.write_text(text.replace(old, new), encoding="utf-8")


CORE = "packages/asgikit-core"
EXTRA = "packages/asgikit-extra"

BREAKAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "namespace __init__": (
        lambda ws: _write(ws / CORE / "src/asgikit/__init__.py"),
        "src/asgikit/__init__.py: must not exist",
    ),
    "namespace py.typed": (
        lambda ws: _write(ws / CORE / "src/asgikit/py.typed"),
        "src/asgikit/py.typed: must not exist",
    ),
    "single-file module": (
        lambda ws: _write(ws / CORE / "src/asgikit/helpers.py", "X = 1\n"),
        "helpers.py: no file may sit directly in the namespace",
    ),
    "no py.typed": (
        lambda ws: (ws / EXTRA / "src/asgikit/beta/py.typed").unlink(),
        "beta/: missing py.typed",
    ),
    "no __init__": (
        lambda ws: (ws / EXTRA / "src/asgikit/beta/__init__.py").unlink(),
        "beta/: missing __init__.py",
    ),
    "nested folder without __init__": (
        lambda ws: _write(ws / EXTRA / "src/asgikit/beta/sub/mod.py"),
        "beta/sub/: holds Python files but no __init__.py",
    ),
    "same subpackage twice": (
        lambda ws: _copy_tree(ws / CORE / "src/asgikit/alpha", ws / EXTRA / "src/asgikit/alpha"),
        "asgikit.alpha is shipped by more than one member",
    ),
    "name differs from folder": (
        lambda ws: _edit(ws / EXTRA / "pyproject.toml", 'name = "asgikit-extra"', 'name = "x"'),
        "must equal the folder name 'asgikit-extra'",
    ),
    "dynamic version": (
        lambda ws: _edit(
            ws / EXTRA / "pyproject.toml", 'version = "0.1.0"', 'dynamic = ["version"]'
        ),
        "version must be static",
    ),
    "wheel target": (
        lambda ws: _edit(ws / EXTRA / "pyproject.toml", '"src/asgikit"]', '"src/asgikit/beta"]'),
        "must be exactly ['src/asgikit']",
    ),
    "build backend": (
        lambda ws: _edit(ws / EXTRA / "pyproject.toml", "hatchling.build", "setuptools.build_meta"),
        "expected 'hatchling.build'",
    ),
    "requires-python differs": (
        lambda ws: _edit(ws / EXTRA / "pyproject.toml", ">=3.11", ">=3.12"),
        "requires-python differs between members",
    ),
    "missing source": (
        lambda ws: _edit(ws / "pyproject.toml", "asgikit-extra = { workspace = true }", ""),
        "[tool.uv.sources] needs asgikit-extra = { workspace = true }",
    ),
    "not a workspace member": (
        lambda ws: _edit(ws / "pyproject.toml", '"packages/*"', '"packages/asgikit-core"'),
        "packages/asgikit-extra is not matched by [tool.uv.workspace] members",
    ),
    "root with [project]": (
        lambda ws: _edit(
            ws / "pyproject.toml",
            "[tool.uv.workspace]",
            '[project]\nname = "r"\n\n[tool.uv.workspace]',
        ),
        "has a [project] table",
    ),
    "bare sibling dependency": (
        lambda ws: _edit(ws / EXTRA / "pyproject.toml", "asgikit-core>=0.3,<0.4", "asgikit-core"),
        "sibling dependency 'asgikit-core' has no version range",
    ),
    "range excludes the sibling": (
        lambda ws: _edit(ws / EXTRA / "pyproject.toml", ">=0.3,<0.4", ">=0.4,<0.5"),
        "'asgikit-core>=0.4,<0.5' excludes asgikit-core 0.3.0",
    ),
    "sibling moved past the range": (
        lambda ws: _edit(ws / CORE / "pyproject.toml", '"0.3.0"', '"0.4.0"'),
        "excludes asgikit-core 0.4.0",
    ),
    "core with a dependency": (
        lambda ws: _edit(ws / CORE / "pyproject.toml", "dependencies = []", 'dependencies = ["x"]'),
        "must declare no runtime dependency",
    ),
    "no changelog heading": (
        lambda ws: _edit(ws / EXTRA / "CHANGELOG.md", "## 0.1.0", "## 0.0.9"),
        "CHANGELOG.md has no '## 0.1.0' heading",
    ),
    "no README": (
        lambda ws: (ws / EXTRA / "README.md").unlink(),
        "asgikit-extra: README.md is missing",
    ),
    "no CHANGELOG": (
        lambda ws: (ws / CORE / "CHANGELOG.md").unlink(),
        "asgikit-core: CHANGELOG.md is missing",
    ),
    "version not PEP 440": (
        lambda ws: _edit(ws / EXTRA / "pyproject.toml", 'version = "0.1.0"', 'version = "one"'),
        "asgikit-extra: version 'one' is not a PEP 440 version",
    ),
    "requirement not PEP 508": (
        lambda ws: _edit(ws / EXTRA / "pyproject.toml", "asgikit-core>=0.3", "asgikit-core=>0.3"),
        "'asgikit-core=>0.3,<0.4' is not a PEP 508 requirement",
    ),
    "sibling as a direct URL": (
        lambda ws: _edit(
            ws / EXTRA / "pyproject.toml", "asgikit-core>=0.3,<0.4", "asgikit-core @ file:///x.whl"
        ),
        "'asgikit-core @ file:///x.whl' is a direct URL; use a version range",
    ),
    "sibling pre-release outside a plain range": (
        lambda ws: _edit(ws / CORE / "pyproject.toml", '"0.3.0"', '"0.3.1a1"'),
        "'asgikit-core>=0.3,<0.4' excludes asgikit-core 0.3.1a1",
    ),
    "undeclared runtime import": (
        lambda ws: _write(ws / CORE / "src/asgikit/alpha/_x.py", "from asgikit.beta import B\n"),
        "asgikit-core: imports asgikit.beta (from asgikit-extra) at run time",
    ),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_each_rule_can_fail(workspace: Path, breakage: str) -> None:
    mutate, expected = BREAKAGES[breakage]
    mutate(workspace)
    problems = layout.check_workspace(workspace).problems
    assert any(expected in p for p in problems), problems


def test_compile_hooks_must_be_one_file(workspace: Path) -> None:
    for name in ("asgikit-core", "asgikit-extra"):
        _write(workspace / "packages" / name / "hatch_build.py", "HOOK = 1\n")
    assert layout.check_workspace(workspace).problems == []
    _write(workspace / "packages/asgikit-extra/hatch_build.py", "HOOK = 2\n")
    problems = layout.check_workspace(workspace).problems
    assert any("hatch_build.py differs between" in p for p in problems), problems


COMPILE_HOOK = """
[tool.hatch.build.targets.wheel.hooks.custom]
compile = ["asgikit/beta/__init__.py"]
group = "asgikit_extra"
"""


@pytest.mark.parametrize(
    ("finally_body", "found"),
    [
        ("await close()", True),
        ("async with lock():\n            pass", True),
        ("async for _ in items():\n            pass", True),
        ("if close is not None:\n            await close()", True),
        ("close()", False),
        ("async def later() -> None:\n            await close()", False),
    ],
)
def test_a_compiled_coroutine_may_not_await_in_a_finally(
    workspace: Path, finally_body: str, found: bool
) -> None:
    with (workspace / EXTRA / "pyproject.toml").open("a", encoding="utf-8") as file:
        file.write(COMPILE_HOOK)
    source = "async def f() -> None:\n    try:\n        pass\n    finally:\n        "
    _write(workspace / EXTRA / "src/asgikit/beta/__init__.py", source + finally_body + "\n")
    problems = layout.check_workspace(workspace).problems
    expected = "asgikit/beta/__init__.py:2 f()"
    assert any(expected in p and "awaits in a finally" in p for p in problems) is found, problems
    # The same code in a module that is not compiled is fine.
    _write(workspace / EXTRA / "src/asgikit/beta/__init__.py", "")
    _write(workspace / EXTRA / "src/asgikit/beta/_pure.py", source + finally_body + "\n")
    assert layout.check_workspace(workspace).problems == []


def test_type_checking_imports_are_exempt() -> None:
    source = textwrap.dedent(
        """
        import typing
        from asgikit.requests import Request
        if typing.TYPE_CHECKING:
            from asgikit.forms import FormData
        else:
            from asgikit.files import x
        def f():
            import asgikit.websockets
        from asgikit import headers, errors
        from . import sibling
        """
    )
    found = layout.runtime_namespace_imports(source)
    assert found == {"requests", "files", "websockets", "headers", "errors"}


@pytest.mark.parametrize(
    ("text", "version", "expected"),
    [
        ("## 0.1.0\n", "0.1.0", True),
        ("## [0.1.0] - 2025-01-01\n", "0.1.0", True),
        ("## v0.1.0 (2025-01-01)\n", "0.1.0", True),
        ("## 0.1.0.1\n", "0.1.0", False),
        ("### 0.1.0\n", "0.1.0", False),
        ("## 0.1.01\n", "0.1.0", False),
    ],
)
def test_changelog_heading(text: str, version: str, expected: bool) -> None:
    assert layout.changelog_has_version("# Changelog\n\n" + text, version) is expected


# -- wheel contents --------------------------------------------------------------------

DIST_INFO = "asgikit_extra-0.1.0.dist-info/"
GOOD_WHEEL = [
    "asgikit/beta/__init__.py",
    "asgikit/beta/py.typed",
    "asgikit/beta/_impl.py",
    f"{DIST_INFO}METADATA",
    f"{DIST_INFO}WHEEL",
    f"{DIST_INFO}RECORD",
]
SOURCES = {"asgikit/beta/__init__.py", "asgikit/beta/py.typed", "asgikit/beta/_impl.py"}


def _wheel(files: list[str], sources: set[str] = SOURCES) -> list[str]:
    result: list[str] = wheels.wheel_problems("asgikit-extra", "0.1.0", ["beta"], files, sources)
    return result


def test_good_wheel() -> None:
    assert _wheel(GOOD_WHEEL) == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([*GOOD_WHEEL, "asgikit/__init__.py"], "a file directly in the asgikit namespace"),
        ([*GOOD_WHEEL, "asgikit/py.typed"], "a file directly in the asgikit namespace"),
        ([*GOOD_WHEEL, "asgikit/alpha/__init__.py"], "asgikit.alpha is not one of this member's"),
        ([*GOOD_WHEEL, "tests/test_x.py"], "outside asgikit/"),
        ([f for f in GOOD_WHEEL if not f.endswith("py.typed")], "asgikit/beta/py.typed: missing"),
        ([f for f in GOOD_WHEEL if "_impl" not in f], "in the sources but not in the wheel"),
        ([f for f in GOOD_WHEEL if not f.endswith("RECORD")], "RECORD: missing"),
    ],
)
def test_wheel_rules_can_fail(files: list[str], expected: str) -> None:
    problems = _wheel(files)
    assert any(expected in p for p in problems), problems


def test_wheel_with_a_file_missing_from_sources() -> None:
    problems = _wheel(GOOD_WHEEL, SOURCES - {"asgikit/beta/_impl.py"})
    assert any("in the wheel but not in the sources" in p for p in problems)


COMPILED_TAG = "asgikit_extra-0.1.0-cp311-cp311-linux_x86_64.whl"
EXTENSION = "asgikit/beta/_impl.cpython-311-x86_64-linux-gnu.so"
GROUP_LIB = "asgikit_extra__mypyc.cpython-311-x86_64-linux-gnu.so"


def _compiled(name: str, files: list[str]) -> list[str]:
    result: list[str] = wheels.compiled_wheel_problems(
        name, files, GOOD_WHEEL, ["asgikit/beta/_impl.py"], "asgikit_extra"
    )
    return result


def test_good_compiled_wheel() -> None:
    assert _compiled(COMPILED_TAG, [*GOOD_WHEEL, EXTENSION, GROUP_LIB]) == []


@pytest.mark.parametrize(
    ("name", "files", "expected"),
    [
        ("asgikit_extra-0.1.0-py3-none-any.whl", [*GOOD_WHEEL], "a pure-Python tag"),
        (COMPILED_TAG, [*GOOD_WHEEL, GROUP_LIB], "asgikit/beta/_impl.py: not compiled"),
        (
            COMPILED_TAG,
            [f for f in GOOD_WHEEL if "_impl" not in f] + [EXTENSION, GROUP_LIB],
            "in the pure wheel but not in the compiled one",
        ),
        (
            COMPILED_TAG,
            [*GOOD_WHEEL, EXTENSION, GROUP_LIB, "asgikit/beta/other.cpython-311.so"],
            "not in the compile list",
        ),
        (COMPILED_TAG, [*GOOD_WHEEL, EXTENSION, GROUP_LIB, "notes.txt"], "neither in the pure"),
    ],
)
def test_compiled_wheel_rules_can_fail(name: str, files: list[str], expected: str) -> None:
    problems = _compiled(name, files)
    assert any(expected in p for p in problems), problems


def test_overlap() -> None:
    problems = wheels.overlap_problems(
        {"a.whl": ["asgikit/x/__init__.py", "asgikit/"], "b.whl": ["asgikit/x/__init__.py"]}
    )
    assert problems == ["asgikit/x/__init__.py: shipped by a.whl, b.whl"]
    assert wheels.overlap_problems({"a.whl": ["asgikit/"], "b.whl": ["asgikit/"]}) == []


def _metadata(*requires: str, version: str = "0.1.0", python: str = ">=3.11") -> str:
    lines = ["Metadata-Version: 2.4", "Name: asgikit-extra", f"Version: {version}"]
    lines.append(f"Requires-Python: {python}")
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n\nlong description\n"


def _members(workspace: Path) -> dict[str, Any]:
    return {m.name: m for m in layout.load_members(workspace)}


def test_metadata_rules(workspace: Path) -> None:
    members = _members(workspace)
    extra, core = members["asgikit-extra"], members["asgikit-core"]
    siblings = {"asgikit-core", "asgikit-extra"}
    ok = _metadata("asgikit-core<0.4,>=0.3")
    assert wheels.metadata_problems(extra, ok, siblings) == []
    cases = {
        _metadata("asgikit-core"): "sibling requirement without a range",
        _metadata("asgikit-core>=0.3"): "differs from the declared",
        _metadata(): "has no Requires-Dist",
        _metadata("asgikit-core<0.4,>=0.3", version="0.2.0"): "Version is '0.2.0'",
        _metadata("asgikit-core<0.4,>=0.3", python=">=3.10"): "Requires-Python",
    }
    for text, expected in cases.items():
        problems = wheels.metadata_problems(extra, text, siblings)
        assert any(expected in p for p in problems), (expected, problems)
    core_meta = _metadata("anyio>=4").replace("asgikit-extra", "asgikit-core")
    core_meta = core_meta.replace("0.1.0", "0.3.0")
    problems = wheels.metadata_problems(core, core_meta, siblings)
    assert any("must have no runtime Requires-Dist" in p for p in problems)
    extras_only = core_meta.replace("anyio>=4", "orjson>=3; extra == 'fast'")
    assert wheels.metadata_problems(core, extras_only, siblings) == []


def test_sdist_rules() -> None:
    prefix = "asgikit_extra-0.1.0/"
    good = [f"{prefix}{p}" for p in ("pyproject.toml", "PKG-INFO", "README.md")]
    good += [f"{prefix}src/asgikit/beta/__init__.py", f"{prefix}src/asgikit/beta/py.typed"]
    assert wheels.sdist_problems("asgikit-extra", "0.1.0", ["beta"], good) == []
    bad = [*good[:-1], f"{prefix}src/asgikit/__init__.py"]
    problems = wheels.sdist_problems("asgikit-extra", "0.1.0", ["beta"], bad)
    assert any("must not exist" in p for p in problems)
    assert any("beta/py.typed: missing" in p for p in problems)


def test_typing_problems() -> None:
    bad = "import x\n\nwrong: int = x.name  # ERROR\nalso: str = x.n  # ERROR\n"
    clean = "bad.py:3: error: Incompatible types\nbad.py:4:5: error: Incompatible types\n"
    assert wheels.typing_problems("", bad, clean) == []
    missed = wheels.typing_problems("", bad, "bad.py:3: error: Incompatible types\n")
    assert len(missed) == 1 and "line 4" in missed[0]
    untyped = "good.py:1: error: Skipping analyzing 'x': missing py.typed marker\n"
    problems = wheels.typing_problems("", bad, untyped)
    assert any("unexpected error" in p for p in problems)
    assert sum("missed" in p for p in problems) == 2


def test_every_member_has_a_smoke_app_and_typing_snippets() -> None:
    for member in layout.load_members(ROOT):
        assert wheels.smoke_app(member.name).is_file(), member.name
        good, bad = (p.read_text(encoding="utf-8") for p in wheels.typing_snippets(member.name))
        assert "# ERROR" not in good
        assert bad.count("# ERROR") >= 1


def test_bad_snippets_stay_out_of_the_project_mypy_run() -> None:
    # Their errors are deliberate; the good snippets and the smoke apps are checked.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert "tools" in config["files"]
    excluded = [re.compile(pattern) for pattern in config["exclude"]]
    for path in sorted((TOOLS / "wheel_typing").glob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        assert any(p.search(rel) for p in excluded) is rel.endswith("_bad.py"), rel


@pytest.mark.parametrize(
    "dist",
    [
        "asgikit-core",
        "asgikit-forms",
        "asgikit-files",
        "asgikit-websockets",
        "asgikit-testclient",
        "asgikit-compression",
        "asgikit-pubsub",
    ],
)
def test_typing_snippets_against_the_workspace(dist: str, tmp_path: Path) -> None:
    # What check_wheels runs in each wheel's venv, here with the workspace's editable
    # installs: the good snippet passes, exactly the "# ERROR" lines of the bad one fail.
    line = wheels.type_check_snippets(Path(sys.executable), dist, tmp_path)
    assert "deliberate errors in" in line and "reported" in line


def test_sibling_closure(workspace: Path) -> None:
    members = _members(workspace)
    by_name = {canonicalize_name(n): m for n, m in members.items()}
    closure = wheels.sibling_closure(members["asgikit-extra"], by_name)
    assert [m.name for m in closure] == ["asgikit-core"]
    assert wheels.sibling_closure(members["asgikit-core"], by_name) == []


# -- lowest ----------------------------------------------------------------------------


def test_lowest_summary_and_missing_modules() -> None:
    output = "....F\nE   ModuleNotFoundError: No module named 'httpx._x'\n"
    output += "=========== 1 failed, 4 passed in 0.10s ===========\n"
    assert lowest.summarize(output) == "1 failed, 4 passed in 0.10s"
    assert lowest.summarize("...\n5 passed in 0.2s\n") == "5 passed in 0.2s"
    assert lowest.missing_modules(output) == ["httpx"]
    command = lowest.command("asgikit-core", [])
    assert command[:8] == [
        "uv", "run", "--package", "asgikit-core", "--isolated", "--resolution", "lowest-direct",
        "python",
    ]  # fmt: skip
    assert "packages/asgikit-core/tests" in command


# -- release ---------------------------------------------------------------------------

CHANGELOG = """# Changelog

## Unreleased

- Added a thing.
- Fixed another.

## 0.1.0

- First release.
"""


def test_move_unreleased() -> None:
    moved = release.move_unreleased(CHANGELOG, "0.2.0", "2025-01-02")
    assert moved == (
        "# Changelog\n\n## Unreleased\n\n## 0.2.0 (2025-01-02)\n\n- Added a thing.\n"
        "- Fixed another.\n\n## 0.1.0\n\n- First release.\n"
    )
    assert layout.changelog_has_version(moved, "0.2.0")


def test_move_unreleased_as_the_last_section() -> None:
    text = "# Changelog\n\n## [Unreleased]\n\n- Only entry.\n"
    moved = release.move_unreleased(text, "1.0.0", "2025-01-02")
    assert moved == "# Changelog\n\n## Unreleased\n\n## 1.0.0 (2025-01-02)\n\n- Only entry.\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# Changelog\n\n## 0.1.0\n", "no '## Unreleased' heading"),
        ("# Changelog\n\n## Unreleased\n\n\n## 0.1.0\n- x\n", "nothing under '## Unreleased'"),
        ("## Unreleased\n- y\n## 0.2.0\n- x\n", "already has a heading for 0.2.0"),
    ],
)
def test_move_unreleased_refuses(text: str, message: str) -> None:
    with pytest.raises(release.ReleaseError, match=message):
        release.move_unreleased(text, "0.2.0", "2025-01-02")


def test_release_refuses_versions_dependents_exclude(workspace: Path) -> None:
    assert release.dependents_excluding(workspace, "asgikit-core", "0.3.5") == []
    found = release.dependents_excluding(workspace, "asgikit-core", "0.4.0")
    assert found == [
        "asgikit-extra dependencies: 'asgikit-core>=0.3,<0.4' excludes asgikit-core 0.4.0"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3", True),
        ("0.2.0rc1", True),
        ("1.0.post1.dev2", True),
        ("1.0.0-rc.1", False),  # valid PEP 440, not in the normal form uv writes
        ("1!1.0", False),
        ("1.0+local", False),
        ("1.2.x", False),
    ],
)
def test_release_version_targets(text: str, expected: bool) -> None:
    assert release.is_release_version(text) is expected


def test_release_plan(workspace: Path) -> None:
    steps = release.plan(workspace, "asgikit-extra", "minor", "0.2.0", tag=True)
    commands = [s.cmd for s in steps if s.cmd]
    assert ["uv", "version", "--package", "asgikit-extra", "--bump", "minor", "--no-sync"] in (
        commands
    )
    assert ["git", "tag", "-a", "asgikit-extra-v0.2.0", "-m", "asgikit-extra 0.2.0"] in commands
    assert commands[-1] == [
        "uv", "build", "--package", "asgikit-extra", "--no-sources", "-o", "dist/asgikit-extra",
    ]  # fmt: skip
    commit = next(c for c in commands if c[:2] == ["git", "commit"])
    assert commit[3] == "Release asgikit-extra 0.2.0"
    assert commit[5:] == [
        "packages/asgikit-extra/pyproject.toml", "packages/asgikit-extra/CHANGELOG.md", "uv.lock",
    ]  # fmt: skip
    untagged = release.plan(workspace, "asgikit-extra", "0.2.0", "0.2.0", tag=False)
    assert not any(s.cmd and s.cmd[:2] == ["git", "tag"] for s in untagged)


# -- bootstrap_uv ----------------------------------------------------------------------

GLIBC_236 = ("linux-gnu", "x86_64", (2, 36))


@pytest.mark.parametrize(
    ("filename", "facts", "fits"),
    [
        ("uv-0.9.5-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", GLIBC_236, True),
        ("uv-0.9.5-py3-none-manylinux2014_x86_64.whl", GLIBC_236, True),
        ("uv-0.9.5-py3-none-manylinux_2_40_x86_64.whl", GLIBC_236, False),
        ("uv-0.9.5-py3-none-manylinux_2_17_aarch64.whl", GLIBC_236, False),
        ("uv-0.9.5-py3-none-musllinux_1_1_x86_64.whl", GLIBC_236, False),
        ("uv-0.9.5-py3-none-linux_x86_64.whl", GLIBC_236, False),
        ("uv-0.9.5-py3-none-musllinux_1_1_x86_64.whl", ("linux-musl", "x86_64", None), True),
        ("uv-0.9.5-py3-none-manylinux_2_17_x86_64.whl", ("linux-musl", "x86_64", None), False),
        ("uv-0.9.5-py3-none-manylinux_2_28_aarch64.whl", ("linux-gnu", "aarch64", (2, 31)), True),
        ("uv-0.9.5-py3-none-macosx_11_0_arm64.whl", ("macos", "arm64", (14, 2)), True),
        ("uv-0.9.5-py3-none-macosx_10_12_x86_64.whl", ("macos", "arm64", (14, 2)), False),
        ("uv-0.9.5-py3-none-macosx_15_0_arm64.whl", ("macos", "arm64", (14, 2)), False),
        ("uv-0.9.5-py3-none-win_amd64.whl", ("windows", "amd64", None), True),
        ("uv-0.9.5.tar.gz", GLIBC_236, False),
    ],
)
def test_uv_wheel_fits(filename: str, facts: tuple[str, str, Any], fits: bool) -> None:
    assert bootstrap.wheel_fits(filename, *facts) is fits


def _file(name: str, *, sha: str = "ab", yanked: bool = False) -> dict[str, object]:
    return {
        "filename": name,
        "url": name,
        "hashes": {"sha256": sha} if sha else {},
        "yanked": yanked,
    }


def test_uv_wheel_choice_is_the_newest_release_that_fits() -> None:
    tag = "py3-none-manylinux_2_17_x86_64"
    files = [
        _file(f"uv-0.9.10-{tag}.whl"),
        _file(f"uv-0.10.0-{tag}.whl"),
        _file(f"uv-0.11.0-{tag}.whl", yanked=True),
        _file(f"uv-0.12.0rc1-{tag}.whl"),
        _file(f"uv-0.12.0-{tag}.whl", sha=""),
        _file("uv-0.13.0-py3-none-manylinux_2_17_aarch64.whl"),
        _file("uv-0.13.0.tar.gz"),
    ]
    chosen = bootstrap.choose_wheel(files, *GLIBC_236)
    assert chosen["filename"] == f"uv-0.10.0-{tag}.whl"
    with pytest.raises(bootstrap.BootstrapError, match="no uv wheel for macos on arm64"):
        bootstrap.choose_wheel(files, "macos", "arm64", (14, 0))


def test_simple_index_html_is_read() -> None:
    links = bootstrap._Links()
    links.feed(
        '<a href="https://files.example/uv-0.9.5-py3-none-win_amd64.whl#sha256=ff">x</a>'
        '<a href="../../p/uv-0.9.4.tar.gz" data-yanked="">y</a>'
    )
    assert links.files == [
        {
            "filename": "uv-0.9.5-py3-none-win_amd64.whl",
            "url": "https://files.example/uv-0.9.5-py3-none-win_amd64.whl",
            "hashes": {"sha256": "ff"},
            "yanked": False,
        },
        {
            "filename": "uv-0.9.4.tar.gz",
            "url": "../../p/uv-0.9.4.tar.gz",
            "hashes": {},
            "yanked": True,
        },
    ]


# -- scripts/_steps.sh -----------------------------------------------------------------


def test_check_runs_every_step_and_lists_the_failed_ones() -> None:
    script = f"""
        set -euo pipefail
        . {ROOT / "scripts/_steps.sh"}
        run_step "first" true
        run_step "second fails" false
        run_step "third" echo third ran
        run_step "fourth fails" sh -c "exit 3"
        finish_steps
    """
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "third ran" in proc.stdout
    assert "FAILED (exit 3" in proc.stdout
    assert proc.stdout.endswith("2 step(s) failed:\n  - second fails\n  - fourth fails\n")


def test_check_passes_when_every_step_does() -> None:
    script = f". {ROOT / 'scripts/_steps.sh'}; run_step one true; run_step two true; finish_steps"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout.splitlines()[-1]) == (0, "all checks passed")


# -- conftest: waiting for a server ------------------------------------------------------


def _conftest() -> Any:
    spec = importlib.util.spec_from_file_location(
        "_asgikit_integration_conftest", Path(__file__).parent / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fake_server(conftest: Any, code: str) -> Any:
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return conftest.RunningServer(process, conftest.free_port(), "uvicorn")


def _stop(running: Any) -> None:
    running.process.kill()
    running.process.wait()
    running.process.stdout.close()


def test_the_start_up_wait_is_generous() -> None:
    assert _conftest().READY_TIMEOUT >= 120


def test_a_server_that_exits_shows_its_output() -> None:
    conftest = _conftest()
    running = _fake_server(conftest, "print('loading app'); print('boom: no module'); exit(3)")
    try:
        with pytest.raises(RuntimeError) as caught:
            conftest._wait_ready(running)
    finally:
        _stop(running)
    message = str(caught.value)
    assert "uvicorn exited (status 3) before it was ready" in message
    assert "loading app\nboom: no module" in message


def test_a_server_that_never_gets_ready_shows_its_output() -> None:
    conftest = _conftest()
    code = "import signal; print('Started server process', flush=True); signal.pause()"
    running = _fake_server(conftest, code)
    try:
        with pytest.raises(TimeoutError) as caught:
            conftest._wait_ready(running, timeout=0.5)
    finally:
        _stop(running)
    message = str(caught.value)
    assert "uvicorn did not print 'Uvicorn running on' within" in message
    assert "Started server process" in message


def test_a_burst_of_start_up_lines_is_read_to_the_ready_line() -> None:
    # The ready line arrives in one write with the lines before it: a reader that
    # select()s on the pipe beside a buffered readline() never saw it.
    conftest = _conftest()
    port = conftest.free_port()
    code = (
        "import signal, socket, sys\n"
        f"s = socket.create_server(('127.0.0.1', {port}))\n"
        "sys.stdout.write('INFO: Started server process\\nINFO: Waiting for application "
        "startup.\\nINFO: Uvicorn running on http://127.0.0.1\\n')\n"
        "sys.stdout.flush()\n"
        "signal.pause()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    running = conftest.RunningServer(process, port, "uvicorn")
    try:
        conftest._wait_ready(running, timeout=60)
    finally:
        _stop(running)
    assert running.ready
    assert "INFO: Uvicorn running on http://127.0.0.1\n" in running.log
