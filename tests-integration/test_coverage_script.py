"""scripts/coverage on a made-up workspace: it reports each package's branch coverage
against the floor in that package's pyproject.toml, and fails on a package under its
floor or with a failing test. uv is replaced by a shim that runs the command in this
environment, so no venv is built."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SOURCE = """\
def sign(x: int) -> int:
    if x < 0:
        return -1
    return 1
"""

# One test of two paths: 3 of 4 statements and 1 of 2 branches, 66.67%.
HALF_TESTED = """\
from mod import sign


def test_positive() -> None:
    assert sign(1) == 1
"""

FAILING = """\
from mod import sign


def test_negative() -> None:
    assert sign(-1) == 1
"""


def _package(root: Path, name: str, floor: float, tests: str) -> None:
    package = root / "packages" / name
    (package / "src" / "mod").mkdir(parents=True)
    (package / "tests").mkdir()
    (package / "src" / "mod" / "__init__.py").write_text(SOURCE)
    (package / "tests" / "test_mod.py").write_text(tests)
    (package / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
            [tool.pytest.ini_options]
            pythonpath = ["src"]
            addopts = ["-p", "no:cacheprovider", "-p", "pytest_cov"]

            [tool.coverage.run]
            branch = true
            source = ["src"]

            [tool.coverage.report]
            fail_under = {floor}
            precision = 2
            show_missing = true
        """)
    )


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "scripts").mkdir(parents=True)
    for name in ("coverage", "_uv.sh"):
        shutil.copy2(ROOT / "scripts" / name, root / "scripts" / name)
    _package(root, "over-floor", 60, HALF_TESTED)
    _package(root, "under-floor", 70, HALF_TESTED)
    _package(root, "failing-test", 0, FAILING)
    shim = tmp_path / "bin" / "uv"
    shim.parent.mkdir()
    shim.write_text('#!/bin/sh\n[ "$1 $2" = "run --no-sync" ] || exit 99\nshift 2\nexec "$@"\n')
    shim.chmod(0o755)
    return root


def _run(tmp_path: Path, *packages: str) -> subprocess.CompletedProcess[str]:
    root = _workspace(tmp_path)
    path = os.pathsep.join(
        [str(tmp_path / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]]
    )
    return subprocess.run(
        [str(root / "scripts" / "coverage"), *packages],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        # Only pytest-cov: this environment's other plugins would slow each run down.
        env={**os.environ, "PATH": path, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )


def _summary(stdout: str) -> list[list[str]]:
    lines = stdout.split("is the floor):\n", 1)[1].splitlines()
    return [line.split() for line in lines]


def test_a_package_over_its_floor_passes(tmp_path: Path) -> None:
    proc = _run(tmp_path, "over-floor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _summary(proc.stdout) == [
        ["over-floor", "66.67%", "floor", "60.0%", "ok", "tests", "ok"]
    ]


def test_under_the_floor_or_a_failing_test_fails(tmp_path: Path) -> None:
    proc = _run(tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert _summary(proc.stdout) == [
        ["failing-test", "66.67%", "floor", "0.0%", "ok", "tests", "FAILED"],
        ["over-floor", "66.67%", "floor", "60.0%", "ok", "tests", "ok"],
        ["under-floor", "66.67%", "floor", "70.0%", "UNDER", "THE", "FLOOR", "tests", "ok"],
    ]
    # Each package's report names the line its tests missed: 4 for the test of sign(-1).
    missed = [line.split() for line in proc.stdout.splitlines() if line.startswith("src/mod/")]
    assert [row[-1] for row in missed] == ["4", "3", "3"]
