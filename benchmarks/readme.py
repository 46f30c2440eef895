"""Measure every scenario four ways and rewrite the README's benchmark table.

    scripts/compiled-venv                      # once: the compiled build in .venv-compiled
    uv run python benchmarks/readme.py         # measure (about 15 minutes) and rewrite

The four runs of ``run.py``: instructions (callgrind) and time, each for the pure-Python
build (this environment) and the compiled one (``--compiled-python``). Their figures are
kept in ``benchmarks/results/`` (ignored by git); ``--from-results`` rewrites the table
from the kept figures without measuring. Targets come from ``targets.py``; the table
marks each one missed.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402
from targets import target  # noqa: E402

README = ROOT / "README.md"
RESULTS = HERE / "results"
START = "<!-- benchmark table: written by benchmarks/readme.py -->"
END = "<!-- end of benchmark table -->"

LABELS = {
    "hello": "hello text",
    "json echo": "JSON echo (~200 B in, small object out)",
    "inspect": "inspect (method, path, 10 headers, 3 cookies, 3 query params)",
    "inspect+ (url, host, negotiation, auth)": (
        "inspect+ (URL, host, best of 3 media types, Authorization scheme; Starlette with "
        "Werkzeug's `MIMEAccept`)"
    ),
    "stream 100 x 1 KiB": "stream 100 \u00d7 1 KiB (uvicorn-like server, ASGI 2.3)",
    "stream, ASGI 2.4 server": "stream 100 \u00d7 1 KiB (ASGI 2.4 server)",
    "file 10 MB": "file 10 MB",
    "form urlencoded 20 fields": "urlencoded form, 20 fields",
    "form multipart 5 MB": "multipart form, 3 fields + 5 MB file",
    "websocket echo 10k": "websocket: accept, echo 10,000 messages",
}
RUNS = {  # file name: (build, measure)
    "pure-instructions": ("pure", "instructions"),
    "pure-time": ("pure", "time"),
    "compiled-instructions": ("compiled", "instructions"),
    "compiled-time": ("compiled", "time"),
}


def _ratio(values: dict[str, float], name: str) -> float:
    return values[name] / values["raw"]


def _cell(results: dict[str, Any], scenario: str, name: str, goal: float | None) -> str:
    cells = []
    for measure in ("instructions", "time"):
        values = results[measure]["values"].get(scenario)
        if values is None:
            cells.append("-")
            continue
        ratio = _ratio(values, name)
        missed = goal is not None and name == "asgikit" and ratio > goal
        cells.append(f"**{ratio:.2f}x** ✗" if missed else f"{ratio:.2f}x")
    return " / ".join(cells)


def table(results: dict[str, dict[str, Any]]) -> str:
    """The Markdown table of the four runs (keys of ``RUNS``)."""
    pure = {m: results[f"pure-{m}"] for m in ("instructions", "time")}
    compiled = {m: results[f"compiled-{m}"] for m in ("instructions", "time")}
    lines = [
        "| scenario | raw ASGI: instructions, µs per call | Starlette | asgikit pure "
        "| target | asgikit compiled | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for scenario in pure["instructions"]["values"]:
        # The table's scenarios, those of LABELS: "compression json 100KiB gzip" is not
        # one, since its raw app sends the bytes uncompressed and asgikit compresses a
        # large body in a worker thread that callgrind does not count
        # (bench_compression.py prints its own tables).
        if scenario not in LABELS:
            continue
        raw_ir = pure["instructions"]["values"][scenario]["raw"]
        raw_time = pure["time"]["values"].get(scenario, {}).get("raw")
        raw = f"{raw_ir:,.0f}" + (f", {raw_time * 1e6:.1f} µs" if raw_time else "")
        goal_pure = target(scenario, compiled=False)
        goal_compiled = target(scenario, compiled=True)
        row = [
            LABELS.get(scenario, scenario),
            raw,
            _cell(pure, scenario, "starlette", None),
            _cell(pure, scenario, "asgikit", goal_pure),
            f"≤ {goal_pure:.2f}x" if goal_pure else "",
            _cell(compiled, scenario, "asgikit", goal_compiled),
            f"≤ {goal_compiled:.2f}x" if goal_compiled else "",
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def rewrite(text: str, body: str) -> str:
    """``text`` with the part between the markers replaced by ``body``."""
    head, found, rest = text.partition(START)
    if not found or END not in rest:
        raise SystemExit(f"README.md has no {START!r} ... {END!r} section")
    return f"{head}{START}\n{body}\n{END}{rest.partition(END)[2]}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--compiled-python",
        default=str(ROOT / ".venv-compiled" / "bin" / "python"),
        help="the interpreter of the compiled build (scripts/compiled-venv makes it)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per implementation")
    parser.add_argument(
        "--from-results", action="store_true", help="rewrite from benchmarks/results/ only"
    )
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if not args.from_results:
        for key, (build, measure) in RUNS.items():
            python = sys.executable if build == "pure" else args.compiled_python
            print(f"==> {key}", flush=True)
            result = run.run(python, [], args.rounds, False, measure == "instructions")
            if result["build"] != build:
                raise SystemExit(f"{python} loads the {result['build']} build, not {build}")
            (RESULTS / f"{key}.json").write_text(json.dumps(result, indent=2) + "\n")
    results = {key: json.loads((RESULTS / f"{key}.json").read_text()) for key in RUNS}
    day = datetime.now(UTC).date().isoformat()
    body = (
        f"Measured {day} with `uv run python benchmarks/readme.py`. Each cell: the ratio to "
        "raw in **instructions** (callgrind, exact) / in **time** (median of "
        f"{args.rounds} interleaved rounds, noisy on a shared machine); ✗ marks a missed "
        "target (`benchmarks/targets.py`).\n\n" + table(results)
    )
    README.write_text(rewrite(README.read_text(), body))
    print(f"rewrote the benchmark table in {README.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
