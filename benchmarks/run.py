"""Run every benchmark scenario and print ratios to the raw ASGI app.

    uv run python benchmarks/run.py [--rounds N] [--only NAME ...] [--quick]
    uv run python benchmarks/run.py --callgrind [--only NAME ...]
    uv run python benchmarks/run.py --python .venv-compiled/bin/python ...

Each ``bench_*.py`` beside this file lists ``SCENARIOS``. Every scenario runs in a fresh
process, so no scenario inherits another's heap (glibc's malloc adapts to the sizes it
has seen, which once made one baseline 7x faster after an unrelated scenario). Absolute
times are printed for reference only: on a shared machine compare the ratios, which are
measured in one process with the implementations interleaved.

``--callgrind`` counts instructions instead of time: each scenario's process runs under
``valgrind --tool=callgrind`` with collection on only inside the measured loops, so the
figures do not depend on what else the machine is doing (two runs agree to a fraction
of a percent) and a 3% regression shows. Instructions are not time (a cache miss costs
more than an add), so both are reported.

``--python`` measures another interpreter's environment, such as the one with the
compiled build (``scripts/compiled-venv``); the build loaded is named in the header, and
its targets (``targets.py``) apply.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Scenario, count_scenario, run_scenario  # noqa: E402
from targets import target  # noqa: E402

NAMES = ("raw", "starlette", "asgikit")
# The C function that calls a ctypes callback: callgrind counts only inside it.
REGION_FUNCTION = "_CallPythonObject"


def load_scenarios(only: list[str]) -> list[Scenario]:
    scenarios: list[Scenario] = []
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        for scenario in getattr(module, "SCENARIOS", ()):
            if not only or any(word in scenario.name for word in only):
                scenarios.append(scenario)
    return scenarios


def _scenario(name: str, quick: bool) -> Scenario:
    (scenario,) = [s for s in load_scenarios([]) if s.name == name]
    if quick:
        scenario.calls = max(1, scenario.calls // 20)
    return scenario


def count_calls(scenario: Scenario) -> int:
    """Calls counted under callgrind: a fiftieth of the timed ones, at least two."""
    return max(2, scenario.calls // 50)


def _region(function: Callable[[], None]) -> None:
    ctypes.CFUNCTYPE(None)(function)()


def build() -> str:
    """Which asgikit build this interpreter loads: "compiled" or "pure"."""
    import asgikit.requests

    return "compiled" if getattr(asgikit.requests, "COMPILED", False) else "pure"


def time_one(python: str, name: str, rounds: int, quick: bool) -> dict[str, float]:
    """Median seconds per call of each implementation, in a fresh process."""
    command = [python, __file__, "--one", name, "--rounds", str(rounds)]
    if quick:
        command.append("--quick")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def count_one(python: str, name: str, keep: Path | None = None) -> dict[str, float]:
    """Instructions per call of each implementation, counted by callgrind.

    With ``keep``, the callgrind files stay there for ``callgrind_annotate``: dumps 2, 4
    and 6 are the measured loops of raw, Starlette and asgikit.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = (keep or Path(tmp)) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            f"--toggle-collect={REGION_FUNCTION}",
            f"--dump-after={REGION_FUNCTION}",
            f"--callgrind-out-file={out}",
            python,
            __file__,
            "--one",
            name,
            "--count",
        ]
        # Hash randomisation changes dict and set layouts, hence the instruction counts.
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        output = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
        names, calls = json.loads(output.stdout.strip().splitlines()[-1])
        totals = []
        for index in range(1, 2 * len(names) + 1):
            text = Path(f"{out}.{index}").read_text()
            match = re.search(r"^totals: (\d+)", text, re.MULTILINE)
            if match is None:
                raise RuntimeError(f"no totals in callgrind dump {index} of {name}")
            totals.append(int(match.group(1)))
    return {impl: (totals[2 * i + 1] - totals[2 * i]) / calls for i, impl in enumerate(names)}


def _format(
    scenario: Scenario, values: dict[str, float], compiled: bool, callgrind: bool
) -> tuple[str, bool]:
    raw = values["raw"]
    cells = "".join(
        f"{values[name] / raw:>11.2f}x" if name in values else f"{'-':>12}" for name in NAMES
    )
    ratio = values["asgikit"] / raw
    goal = target(scenario.name, compiled=compiled)
    missed = goal is not None and ratio > goal
    verdict = "" if goal is None else ("MISSES" if missed else "meets")
    goal_text = f"<={goal:.2f}x" if goal is not None else ""
    if callgrind:
        detail = f"  (raw {raw:,.0f} instructions/call)"
    else:
        detail = f"  (raw {raw * 1e6:.1f} us/call"
        if scenario.unit_bytes:
            mbs = {n: scenario.unit_bytes / t / 1e6 for n, t in values.items()}
            detail += ", MB/s " + " / ".join(f"{n} {v:.0f}" for n, v in mbs.items())
        detail += ")"
    return f"{scenario.name:<28}{cells}{goal_text:>9}  {verdict}{detail}", missed


def run(
    python: str,
    only: list[str],
    rounds: int,
    quick: bool,
    callgrind: bool,
    keep: Path | None = None,
) -> dict[str, Any]:
    """Measure the scenarios; print a table; return what was measured."""
    scenarios = load_scenarios(only)
    probe = [python, __file__, "--build"]
    which = subprocess.run(probe, check=True, capture_output=True, text=True).stdout.strip()
    compiled = which == "compiled"
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if callgrind:
        how = "instructions per call (callgrind; ratios to raw)"
    else:
        how = f"{rounds} timed rounds, median (ratios to raw)"
    print(
        f"{len(scenarios)} scenarios, one process each, asyncio event loop, "
        f"Python {version}, {which} asgikit build; {how}"
    )
    header = f"{'scenario':<28}{'raw':>12}{'starlette':>12}{'asgikit':>12}{'target':>9}  result"
    print(header)
    print("-" * len(header))
    misses = 0
    results: dict[str, dict[str, float]] = {}
    for scenario in scenarios:
        if callgrind:
            where = None
            if keep is not None:
                where = keep / re.sub(r"\W+", "-", scenario.name).strip("-")
                where.mkdir(parents=True, exist_ok=True)
            values = count_one(python, scenario.name, where)
        else:
            values = time_one(python, scenario.name, rounds, quick)
        results[scenario.name] = values
        line, missed = _format(scenario, values, compiled, callgrind)
        misses += missed
        print(line, flush=True)
    print(f"\n{misses} target(s) missed" if misses else "\nall targets met")
    return {"build": which, "measure": "instructions" if callgrind else "time", "values": results}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per implementation")
    parser.add_argument("--quick", action="store_true", help="few calls and rounds: a smoke run")
    parser.add_argument("--only", nargs="*", default=[], help="run scenarios whose name has a word")
    parser.add_argument(
        "--callgrind", action="store_true", help="count instructions (valgrind) instead of time"
    )
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter whose environment to measure"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--keep", type=Path, help="with --callgrind: keep the profiles here, one folder each"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one scenario
    parser.add_argument("--count", action="store_true", help=argparse.SUPPRESS)  # internal
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)  # internal
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    if args.build:
        print(build())
        return 0
    if args.one and args.count:
        scenario = _scenario(args.one, False)
        calls = count_calls(scenario)
        print(json.dumps([count_scenario(scenario, calls, _region), calls]))
        return 0
    if args.one:
        scenario = _scenario(args.one, args.quick)
        print(json.dumps(asyncio.run(run_scenario(scenario, rounds))))
        return 0
    result = run(args.python, args.only, rounds, args.quick, args.callgrind, args.keep)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
