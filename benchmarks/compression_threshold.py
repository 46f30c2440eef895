"""Where compressing a body on the event loop starts to cost more than moving it to a
thread, per coding at its default level, on this machine.

    uv run python benchmarks/compression_threshold.py

For each size, the median time compressing a JSON-like body blocks the loop when done
on it, next to the time the same compression through ``asyncio.to_thread`` adds to the
response (the hop there and back, and the work in a thread that the loop does not
share its caches and allocator arena with). Below the threshold the hop adds more
latency than the blocking it avoids; above it, the loop would be blocked longer.
asgikit-compression's ``DEFAULT_THREAD_THRESHOLDS`` are set from this (rounded up to
where the difference is clear over repeated runs). Then the memory one stream's encoder
holds, per coding (Linux: it reads /proc/self/status). Bounded: about 10 s.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from functools import partial

from asgikit.compression._codecs import CODECS

SIZES = [1024 * 2**i for i in range(2, 10)]  # 4 KiB .. 512 KiB
BODY = json.dumps(
    [{"id": i, "name": f"user {i}", "email": f"u{i}@example.org", "score": i * 7 % 101}
     for i in range(20_000)]
).encode()  # fmt: skip


async def costs(compress: Callable[[], bytes], repeat: int) -> tuple[float, float]:
    """Median wall time of ``compress()`` on the loop, and through ``asyncio.to_thread``,
    interleaved."""
    inline: list[float] = []
    threaded: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        compress()
        inline.append(time.perf_counter() - start)
        start = time.perf_counter()
        await asyncio.to_thread(compress)
        threaded.append(time.perf_counter() - start)
    return statistics.median(inline), statistics.median(threaded)


async def main() -> None:
    memory_per_stream()  # first, while the process has freed nothing it could reuse
    print("per coding at its default level: on the loop (the time the loop is blocked)")
    print("and the extra time a response takes through asyncio.to_thread, medians")
    print(f"{'size':>8}  " + "  ".join(f"{name + ' loop/extra':>22}" for name in CODECS))
    threshold: dict[str, int | None] = dict.fromkeys(CODECS)
    for size in SIZES:
        body = BODY[:size]
        row = []
        for name, codec in CODECS.items():
            level = codec.default_level
            inline, threaded = await costs(partial(codec.compress, body, level), 25)
            extra = threaded - inline
            row.append(f"{inline * 1e6:>9.0f} / {extra * 1e6:>6.0f} us")
            if threshold[name] is None and inline > extra:
                threshold[name] = size
        print(f"{size // 1024:>6}Ki  " + "  ".join(row))
    for name, size in threshold.items():
        print(f"{name}: blocking the loop costs more than the hop from {size} bytes on")


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def memory_per_stream(streams: int = 200) -> None:
    """The memory one compressed stream holds: ``streams`` encoders kept alive, each fed
    64 KiB and flushed, measured as the growth of the process's resident set."""
    print(f"memory per stream ({streams} live encoders at the default level, RSS growth):")
    alive: list[list[object]] = []
    for name, codec in CODECS.items():
        before = _rss_kib()
        encoders: list[object] = []
        for _ in range(streams):
            encoder = codec.encoder(codec.default_level)
            encoder.encode(BODY[: 64 * 1024], False)
            encoders.append(encoder)
        print(f"  {name}: {(_rss_kib() - before) / streams:.0f} KiB")
        alive.append(encoders)  # kept: freed memory would be reused by the next coding


if __name__ == "__main__":
    asyncio.run(main())
