"""Run each asgikit package's tests at the lowest versions its dependencies allow.

Python 3.11+ with ``packaging`` (through ``tools/check_layout.py``; the dev dependency
group); needs ``uv`` on PATH. Run from the dev environment::

    uv run --no-sync python tools/lowest.py                 # every member
    uv run --no-sync python tools/lowest.py asgikit-forms   # only the ones named

For each member this runs, from the repository root::

    uv run --package <dist> --isolated --resolution lowest-direct \\
        python -m pytest packages/<dist>/tests -q -p no:cacheprovider

``--isolated`` builds a throwaway environment holding only that member, its
dependencies at their lowest declared versions (``lowest-direct``) and its own
``[dependency-groups] dev`` (which must provide pytest and every test-only import).
Siblings always come from the workspace (monorepo-anchors section 2e). ``uv.lock`` is
left untouched; this script checks that it is.

Exit status: 0 when every member's tests pass, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.check_layout import load_members

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEOUT = 600.0
_MISSING = re.compile(r"ModuleNotFoundError: No module named '([^']+)'")
_SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed|error|skipped).*?)\s*=*$")


@dataclass
class Result:
    dist: str
    ok: bool
    summary: str
    seconds: float
    output: str
    missing: list[str]


def command(dist: str, extra: list[str]) -> list[str]:
    return [
        "uv", "run", "--package", dist, "--isolated", "--resolution", "lowest-direct",
        "python", "-m", "pytest", f"packages/{dist}/tests", "-q", "-p", "no:cacheprovider",
        *extra,
    ]  # fmt: skip


def summarize(output: str) -> str:
    """pytest's final summary line (``3 passed in 0.1s``), or the last line of output."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        match = _SUMMARY.match(line)
        if match:
            return match[1]
    return lines[-1] if lines else "(no output)"


def missing_modules(output: str) -> list[str]:
    """Top-level modules a failing run could not import."""
    return sorted({name.split(".")[0] for name in _MISSING.findall(output)})


def run_one(dist: str, extra: list[str], timeout: float = DEFAULT_TIMEOUT) -> Result:
    started = time.monotonic()
    try:
        # A session of its own, so a timeout ends uv *and* the pytest it started.
        proc = subprocess.Popen(
            command(dist, extra),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        return Result(dist, False, f"cannot run uv: {exc}", 0.0, "", [])
    try:
        output, _ = proc.communicate(timeout=timeout)
        ok = proc.returncode == 0
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        output += f"\ntimed out after {timeout:.0f}s"
        ok = False
    missing = [] if ok else missing_modules(output)
    return Result(dist, ok, summarize(output), time.monotonic() - started, output, missing)


def lock_digest() -> str | None:
    lock = ROOT / "uv.lock"
    return hashlib.sha256(lock.read_bytes()).hexdigest() if lock.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run each member's tests with `uv run --isolated --resolution "
        "lowest-direct` (its dependencies at their declared floors).",
    )
    parser.add_argument("dists", nargs="*", metavar="DIST", help="members to run (default: all)")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print pytest's output for passing runs too"
    )
    parser.add_argument("--pytest-args", default="", help="extra pytest arguments, space separated")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds allowed per package (default: {DEFAULT_TIMEOUT:.0f})",
    )
    args = parser.parse_args(argv)
    members = {m.name: m for m in load_members(ROOT)}
    unknown = sorted(set(args.dists) - set(members))
    if unknown:
        print(
            f"lowest: error: unknown distribution(s) {unknown}; members: {sorted(members)}",
            file=sys.stderr,
        )
        return 1
    chosen = args.dists or sorted(members)
    before = lock_digest()
    started = time.monotonic()
    results = []
    for dist in chosen:
        if not (ROOT / "packages" / dist / "tests").is_dir():
            results.append(Result(dist, False, "no tests/ folder", 0.0, "", []))
            print(f"  FAIL  {dist}: packages/{dist}/tests does not exist", file=sys.stderr)
            continue
        print(f"==> {' '.join(command(dist, args.pytest_args.split()))}", flush=True)
        result = run_one(dist, args.pytest_args.split(), args.timeout)
        results.append(result)
        if result.ok:
            print(f"  ok    {dist}: {result.summary} ({result.seconds:.1f}s)", flush=True)
            if args.verbose:
                print(result.output)
            continue
        print(result.output.rstrip(), file=sys.stderr)
        print(f"  FAIL  {dist}: {result.summary} ({result.seconds:.1f}s)", file=sys.stderr)
        if result.missing:
            print(
                f"        {dist}: its tests import {', '.join(result.missing)}, which its own "
                f"[dependency-groups] dev (packages/{dist}/pyproject.toml) does not provide; "
                "the package owners should add it there",
                file=sys.stderr,
            )
    problems = [r for r in results if not r.ok]
    if lock_digest() != before:
        print("  FAIL  uv.lock changed during the lowest-direct runs", file=sys.stderr)
        problems.append(Result("uv.lock", False, "changed", 0.0, "", []))
    elapsed = time.monotonic() - started
    table = ", ".join(f"{r.dist} {'ok' if r.ok else 'FAILED'}" for r in results)
    if problems:
        print(f"lowest: {len(problems)} failed: {table} ({elapsed:.1f}s)", file=sys.stderr)
        return 1
    print(f"lowest: {len(results)} package(s) pass at lowest-direct: {table} ({elapsed:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
