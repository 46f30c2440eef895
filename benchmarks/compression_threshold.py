"""Where compressing a body on the event loop starts to cost more than moving it to a
thread, per coding at its default level, on this machine.

    uv run python benchmarks/compression_threshold.py

For each size, the median time to compress a JSON-like body on the loop, next to the
median round trip of ``asyncio.to_thread`` (the hop there and back, with no work).
Below the break-even size the hop costs more than the work it would move; above it, the
loop would be blocked longer than the hop costs. asgikit-compression's
``DEFAULT_THREAD_THRESHOLD`` is set from this. Bounded: about 10 s.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from asgikit.compression._codecs import CODECS

SIZES = [1024 * 2**i for i in range(0, 10)]  # 1 KiB .. 512 KiB
BODY = json.dumps(
    [{"id": i, "name": f"user {i}", "email": f"u{i}@example.org", "score": i * 7 % 101}
     for i in range(20_000)]
).encode()  # fmt: skip


def median_time(function: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def hop_cost(repeat: int = 2000) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await asyncio.to_thread(bytes)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    hop = asyncio.run(hop_cost())
    print(f"asyncio.to_thread round trip: {hop * 1e6:.0f} us (median)")
    print(f"{'size':>8}  " + "  ".join(f"{name:>10}" for name in CODECS))
    breakeven: dict[str, int | None] = dict.fromkeys(CODECS)
    for size in SIZES:
        body = BODY[:size]
        row = []
        for name, codec in CODECS.items():
            cost = median_time(lambda: codec.compress(body, codec.default_level), 15)
            row.append(f"{cost * 1e6:>8.0f}us")
            if breakeven[name] is None and cost >= hop:
                breakeven[name] = size
        print(f"{size // 1024:>6}Ki  " + "  ".join(row))
    for name, size in breakeven.items():
        print(f"{name}: compressing costs more than the hop from {size} bytes on")


if __name__ == "__main__":
    main()
