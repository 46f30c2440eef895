"""Install asgikit the ways the README says, in fresh venvs, with pip, and check each.

Standard library only (Python 3.11+); needs ``uv`` on PATH (to build the wheels and make
venvs with pip in them) and the package index for third-party dependencies and the
build backend. Run from anywhere::

    python tools/check_install.py           # every case (about a minute, warm caches)
    python tools/check_install.py --keep    # keep the temporary directory

Cases, each in a fresh venv made by ``uv venv --seed`` (so pip is in it):

``paths``
    ``pip install ./packages/asgikit-core ./packages/asgikit-forms ...``: every
    distribution from its folder, core listed too (it is not on PyPI).
``wheels``
    ``pip install dist/*.whl`` after ``uv build --all-packages``.
``find-links``
    ``pip install --find-links dist asgikit-forms``: one piece, its asgikit-core taken
    from the built wheels.

In each: every portion imports from the venv, ``asgikit`` is a namespace package, and
no distribution named ``asgikit`` (the unrelated PyPI project) is installed.

``shadowed``
    asgikit-core's wheel, then a stand-in for that unrelated project: a distribution
    named ``asgikit`` with a regular ``asgikit/__init__.py``. Importing our code must
    fail with an ``ImportError`` that names the stray file and says
    ``pip uninstall asgikit``; after that uninstall, the import works again.

Exit status: 0 when every case passes, 1 otherwise (each failure printed).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = Path(__file__).resolve().parent / "_probe_install.py"
SHADOWING_INIT = Path(__file__).resolve().parent / "_shadowing_asgikit.py"
ALL_PORTIONS = [
    "requests", "responses", "errors", "headers", "cookies", "query", "multivalue",
    "json_codec", "testing", "asgi", "forms", "files", "websockets", "testclient",
    "compression", "pubsub",
]  # fmt: skip
MEMBERS = [
    "asgikit-core",
    "asgikit-forms",
    "asgikit-files",
    "asgikit-websockets",
    "asgikit-testclient",
    "asgikit-compression",
    "asgikit-pubsub",
]
TIMEOUT = 600


class CheckFailed(Exception):
    """A case failed; the message says which command and what it printed."""


def run(cmd: list[str], *, cwd: Path = ROOT, expect_failure: bool = False) -> str:
    """Run ``cmd``; return its output. Raise unless it exits as expected."""
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    output = (proc.stdout + proc.stderr).strip()
    if (proc.returncode != 0) != expect_failure:
        expected = "to fail" if expect_failure else "to pass"
        raise CheckFailed(
            f"expected {expected}, got exit {proc.returncode}: {' '.join(cmd)}\n"
            + textwrap.indent(output, "      | ")
        )
    return output


def fresh_venv(where: Path) -> Path:
    """A new venv with pip; returns its Python."""
    run(["uv", "venv", "--quiet", "--seed", "--python", sys.executable, str(where)])
    return where / "bin" / "python"


def pip_install(python: Path, *args: str) -> None:
    run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args])


def probe(python: Path, portions: list[str]) -> None:
    run([str(python), "-I", str(PROBE), *portions])


def other_asgikit_wheel(directory: Path) -> Path:
    """A wheel named ``asgikit`` with a regular ``asgikit/__init__.py``: it stands for the
    unrelated PyPI project, whose package takes the name the same way."""
    files = {
        "asgikit/__init__.py": SHADOWING_INIT.read_bytes(),
        "asgikit-0.0.1.dist-info/METADATA": b"Metadata-Version: 2.1\nName: asgikit\n"
        b"Version: 0.0.1\n",
        "asgikit-0.0.1.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: check_install\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("asgikit-0.0.1.dist-info/RECORD,,")
    path = directory / "asgikit-0.0.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("asgikit-0.0.1.dist-info/RECORD", "\n".join(record) + "\n")
    return path


# -- the cases ---------------------------------------------------------------------------


def case_paths(tmp: Path, dist: Path) -> None:
    python = fresh_venv(tmp / "paths")
    pip_install(python, *(f"./packages/{name}" for name in MEMBERS))
    probe(python, ALL_PORTIONS)


def case_wheels(tmp: Path, dist: Path) -> None:
    python = fresh_venv(tmp / "wheels")
    pip_install(python, *map(str, sorted(dist.glob("*.whl"))))
    probe(python, ALL_PORTIONS)


def case_find_links(tmp: Path, dist: Path) -> None:
    python = fresh_venv(tmp / "find-links")
    pip_install(python, "--find-links", str(dist), "asgikit-forms")
    probe(python, ["requests", "forms"])


def case_shadowed(tmp: Path, dist: Path) -> None:
    python = fresh_venv(tmp / "shadowed")
    (core,) = dist.glob("asgikit_core-*.whl")
    pip_install(python, str(core))
    stray = other_asgikit_wheel(tmp)
    pip_install(python, str(stray))
    output = run([str(python), "-I", str(PROBE), "requests"], expect_failure=True)
    last = output.splitlines()[-1]
    for expected in (
        "ImportError: a regular package named asgikit (from ",
        "asgikit/__init__.py) shadows the asgikit namespace",
        "pip uninstall asgikit",
    ):
        if expected not in last:
            raise CheckFailed(f"the import error does not say {expected!r}:\n      | {last}")
    run([str(python), "-m", "pip", "uninstall", "--quiet", "--yes", "asgikit"])
    probe(python, ["requests", "errors", "cookies"])


CASES: dict[str, Callable[[Path, Path], None]] = {
    "paths: pip install ./packages/asgikit-core ./packages/asgikit-forms ...": case_paths,
    "wheels: pip install dist/*.whl": case_wheels,
    "find-links: pip install --find-links dist asgikit-forms": case_find_links,
    "shadowed: a regular asgikit package beside asgikit-core": case_shadowed,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if shutil.which("uv") is None:
        print("error: uv is not on PATH (scripts/check puts it there)", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="asgikit-install-"))
    failures = 0
    try:
        dist = tmp / "dist"
        started = time.monotonic()
        try:
            run(["uv", "build", "--quiet", "--all-packages", "--no-sources", "-o", str(dist)])
        except CheckFailed as exc:
            print(f"FAILED: uv build --all-packages: {exc}")
            return 1
        print(f"built {len(list(dist.glob('*.whl')))} wheels ({time.monotonic() - started:.0f} s)")
        for name, case in CASES.items():
            started = time.monotonic()
            try:
                case(tmp, dist)
            except (CheckFailed, subprocess.TimeoutExpired) as exc:
                failures += 1
                print(f"FAILED {name}:\n  {exc}")
            else:
                print(f"ok  {name} ({time.monotonic() - started:.0f} s)")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("all install cases passed" if failures == 0 else f"{failures} case(s) failed")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
