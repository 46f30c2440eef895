"""Run every benchmark scenario and print ratios to the raw ASGI app.

    uv run python benchmarks/run.py [--rounds N] [--only NAME ...] [--quick]

Each ``bench_*.py`` beside this file lists ``SCENARIOS``. Every scenario runs in a fresh
process, so no scenario inherits another's heap (glibc's malloc adapts to the sizes it
has seen, which once made one baseline 7x faster after an unrelated scenario). Absolute
times are printed for reference only: on a shared machine compare the ratios, which are
measured in one process with the implementations interleaved.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Scenario, run_scenario  # noqa: E402


def load_scenarios(only: list[str]) -> list[Scenario]:
    scenarios: list[Scenario] = []
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        for scenario in module.SCENARIOS:
            if not only or any(word in scenario.name for word in only):
                scenarios.append(scenario)
    return scenarios


def measure(name: str, rounds: int, quick: bool) -> dict[str, float]:
    """Run one scenario in this process; returns the median seconds per call."""
    (scenario,) = [s for s in load_scenarios([]) if s.name == name]
    if quick:
        scenario.calls = max(1, scenario.calls // 20)
    return asyncio.run(run_scenario(scenario, rounds))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per implementation")
    parser.add_argument("--quick", action="store_true", help="few calls and rounds: a smoke run")
    parser.add_argument("--only", nargs="*", default=[], help="run scenarios whose name has a word")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one scenario
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    if args.one:
        print(json.dumps(measure(args.one, rounds, args.quick)))
        return 0
    loop_name = "asyncio event loop"
    scenarios = load_scenarios(args.only)
    print(
        f"{len(scenarios)} scenarios, {rounds} rounds each, one process each, {loop_name}, "
        f"Python {sys.version.split()[0]}"
    )
    header = f"{'scenario':<28}{'raw':>12}{'starlette':>12}{'asgikit':>12}{'target':>9}  result"
    print(header)
    print("-" * len(header))
    misses = 0
    for scenario in scenarios:
        command = [sys.executable, __file__, "--one", scenario.name, "--rounds", str(rounds)]
        if args.quick:
            command.append("--quick")
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        medians: dict[str, float] = json.loads(output.strip().splitlines()[-1])
        raw = medians["raw"]
        cells = "".join(
            f"{medians[name] / raw:>11.2f}x" if name in medians else f"{'-':>12}"
            for name in ("raw", "starlette", "asgikit")
        )
        ratio = medians["asgikit"] / raw
        verdict = ""
        if scenario.target is not None:
            ok = ratio <= scenario.target
            misses += not ok
            verdict = "meets" if ok else "MISSES"
        target = f"<={scenario.target:.2f}x" if scenario.target else ""
        detail = f"  (raw {raw * 1e6:.1f} us/call"
        if scenario.unit_bytes:
            mbs = {n: scenario.unit_bytes / t / 1e6 for n, t in medians.items()}
            detail += ", MB/s " + " / ".join(f"{n} {v:.0f}" for n, v in mbs.items())
        detail += ")"
        print(f"{scenario.name:<28}{cells}{target:>9}  {verdict}{detail}", flush=True)
    print(f"\n{misses} target(s) missed" if misses else "\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
