"""How close to raw ASGI can asgikit get with the API it has at all?

    uv run python benchmarks/floor.py [--callgrind] [--compiled]

Measures, in the harness of run.py, for a hello response: the raw app; the raw app's two
sends moved into one more coroutine; a bare request object with a four-slot state object
stored in the scope (the least DESIGN §3 asks for) responding through one coroutine; and
asgikit. For the websocket echo: raw; a bare wrapper whose read() and write() are
coroutines doing nothing but receive and send (write must be one, to turn the ASGI 2.4
OSError into a disconnect error); and asgikit. The bare objects are in ``floor_bare.py``.

``--callgrind`` counts instructions (as ``run.py --callgrind``) instead of time.
``--compiled`` compiles ``floor_bare.py`` with mypyc first (into a temporary folder, with
the mypy of uv.lock and setuptools in an environment uv makes for it), which gives the
floor of a compiled build; run it with the compiled build's interpreter
(``--python .venv-compiled/bin/python``) to see the compiled asgikit beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_core import EMPTY_BODY, check_hello, hello_asgikit, hello_raw, http_scope  # noqa: E402
from bench_websockets import (  # noqa: E402
    ECHO_MESSAGES,
    check_echo,
    echo_asgikit,
    echo_raw,
    websocket_scope,
)
from harness import Scenario, count_scenario, run_scenario  # noqa: E402

# The mypy whose mypyc compiles the bare objects: the one of uv.lock (hatch_build.py).
MYPY = "mypy==2.4.1"


def scenarios() -> list[Scenario]:
    bare = importlib.import_module("floor_bare")

    async def bare_websocket(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        ws = bare.BareWebSocket(receive, send)
        while True:
            try:
                await ws.write(await ws.read())
            except EOFError:
                break

    async def bare_request(scope: Any, receive: Any, send: Any) -> None:
        await bare.BareRequest(scope, receive, send).respond_text("Hello, world!")

    hello = Scenario(
        "hello",
        {
            "raw": hello_raw,
            "raw + one coroutine": bare.one_more_coroutine,
            "bare request + state": bare_request,
            "asgikit": hello_asgikit,
        },
        http_scope(),
        EMPTY_BODY,
        calls=20000,
        check=check_hello,
    )
    websocket = Scenario(
        "websocket echo",
        {"raw": echo_raw, "bare async read/write": bare_websocket, "asgikit": echo_asgikit},
        websocket_scope(),
        ECHO_MESSAGES,
        calls=10,
        check=check_echo,
    )
    return [hello, websocket]


def compile_bare(into: Path) -> None:
    """Build floor_bare.py with mypyc into ``into``."""
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        raise SystemExit("--compiled needs uv (scripts/_uv.sh installs it)")
    shutil.copy(HERE / "floor_bare.py", into)
    command = [uv, "run", "--isolated", "--no-project", "--python", sys.executable]
    command += ["--with", MYPY, "--with", "setuptools", "python", "-m", "mypyc", "floor_bare.py"]
    subprocess.run(command, cwd=into, check=True, capture_output=True)
    (into / "floor_bare.py").unlink()  # the extension module alone, so it is what loads


def _region(function: Any) -> None:
    ctypes.CFUNCTYPE(None)(function)()


def count(case: Scenario, extra_path: str | None) -> dict[str, float]:
    """Instructions per call of each implementation, under callgrind (as run.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", "--collect-atstart=no"]
        command += ["--toggle-collect=_CallPythonObject", "--dump-after=_CallPythonObject"]
        command += [f"--callgrind-out-file={out}", sys.executable, __file__, "--one", case.name]
        if extra_path:
            command += ["--path", extra_path]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        output = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
        names, calls = json.loads(output.stdout.strip().splitlines()[-1])
        totals = []
        for index in range(1, 2 * len(names) + 1):
            match = re.search(r"^totals: (\d+)", Path(f"{out}.{index}").read_text(), re.M)
            assert match is not None, f"no totals in callgrind dump {index}"
            totals.append(int(match.group(1)))
    return {n: (totals[2 * i + 1] - totals[2 * i]) / calls for i, n in enumerate(names)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callgrind", action="store_true", help="count instructions")
    parser.add_argument("--compiled", action="store_true", help="compile the bare objects")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: count one case
    parser.add_argument("--path", help=argparse.SUPPRESS)  # internal: the compiled objects
    args = parser.parse_args()
    if args.path:
        sys.path.insert(0, args.path)
    if args.one:
        (case,) = [s for s in scenarios() if s.name == args.one]
        calls = max(2, case.calls // 50)
        print(json.dumps([count_scenario(case, calls, _region), calls]))
        return
    import asgikit.requests

    with tempfile.TemporaryDirectory() as tmp:
        extra = None
        if args.compiled:
            compile_bare(Path(tmp))
            extra = tmp
            sys.path.insert(0, tmp)
        build = "compiled" if asgikit.requests.COMPILED else "pure"
        bare = "compiled by mypyc" if args.compiled else "pure Python"
        unit = "instructions (callgrind)" if args.callgrind else "time, median of 9 rounds"
        print(f"asgikit {build} build; bare objects {bare}; ratios to raw in {unit}")
        for case in scenarios():
            measure = count(case, extra) if args.callgrind else None
            values = measure or asyncio.run(run_scenario(case, 9))
            print(case.name)
            for name, value in values.items():
                print(f"  {name:<24}{value / values['raw']:>6.2f}x")


if __name__ == "__main__":
    main()
