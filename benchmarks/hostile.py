"""Wall-clock check of the hostile inputs the unit suite measures by counting work.

The unit tests (asgikit-core ``test_headers.py``, ``test_cookies_query.py`` and
``test_header_range.py``, asgikit-forms ``test_hostile.py``) count the work a parser does, so
a busy machine cannot fail them. This script times the same shapes at n and 2n and
prints the ratio (about 2 when linear, about 4 when quadratic). Run it by hand on a
quiet machine, never in the unit run::

    uv run --no-sync python benchmarks/hostile.py
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from asgikit.cookies import parse_cookie_header
from asgikit.errors import ClientError
from asgikit.forms import read_form
from asgikit.headers import parse_parameters
from asgikit.headers.range import parse_range
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

B = "asgikit-bench-boundary"
END = f"--{B}--\r\n".encode()


def best(run: Callable[[], object], repeat: int = 5) -> float:
    fastest = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest


def text_case(
    parse: Callable[[str], object], build: Callable[[int], str]
) -> Callable[[int], Callable[[], object]]:
    def make(n: int) -> Callable[[], object]:
        value = build(n)

        def run() -> object:
            with contextlib.suppress(ClientError):
                return parse(value)
            return None

        return run

    return make


def form_case(
    content_type: str, body: Callable[[int], bytes], **options: int
) -> Callable[[int], Callable[[], object]]:
    def make(n: int) -> Callable[[], object]:
        data = body(n)
        chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]

        async def read() -> None:
            channel = Channel.with_body(*chunks)
            scope = http_scope("POST", "/", headers=[("content-type", content_type)])
            with contextlib.suppress(ClientError):
                form = await read_form(Request(scope, channel.receive, channel.send), **options)  # type: ignore[arg-type]
                await form.close()

        return lambda: asyncio.run(read())

    return make


def file_part(content: bytes) -> bytes:
    head = f'--{B}\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n'
    return head.encode() + content + b"\r\n" + END


MULTIPART = f"multipart/form-data; boundary={B}"
CASES: dict[str, tuple[Callable[[int], Callable[[], object]], int]] = {
    "parameters a;a;a=": (text_case(parse_parameters, lambda n: "a" + ";a" * n + "=b"), 200_000),
    "parameters backslashes": (text_case(parse_parameters, lambda n: 'a; b="' + "\\" * n), 200_000),
    "cookie many pairs": (
        text_case(parse_cookie_header, lambda n: "; ".join(f"c{i}=v" for i in range(n))),
        100_000,
    ),
    "range noise": (
        text_case(lambda v: parse_range(v, 1 << 30), lambda n: "bytes=" + "1-" * n),
        200_000,
    ),
    "range commas": (
        text_case(lambda v: parse_range(v, 1 << 30), lambda n: "bytes=" + "," * n + "0-0"),
        200_000,
    ),
    "multipart crlf runs": (
        form_case(MULTIPART, lambda n: file_part(b"\r\n" * (n // 2)), spool_threshold=1 << 30),
        4_000_000,
    ),
    "multipart cr runs": (
        form_case(MULTIPART, lambda n: file_part(b"\r" * n), spool_threshold=1 << 30),
        4_000_000,
    ),
    "urlencoded pairs": (
        form_case(
            "application/x-www-form-urlencoded",
            lambda n: b"a=1&" * (n // 4),
            max_fields=1 << 30,
            max_body_size=1 << 30,
        ),
        2_000_000,
    ),
}


def main() -> None:
    print(f"{'case':<26} {'n':>10} {'t(n) s':>10} {'t(2n) s':>10} {'ratio':>6}")
    for name, (make, n) in CASES.items():
        make(n // 4)()  # warm up
        small, large = best(make(n)), best(make(2 * n))
        print(f"{name:<26} {n:>10} {small:>10.4f} {large:>10.4f} {large / small:>6.2f}")


if __name__ == "__main__":
    main()
