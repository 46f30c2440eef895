"""Every benchmark target, in one place: the largest ratio to raw asgikit may show.

A ratio is asgikit's cost per call divided by the raw ASGI app's, measured in the same
run: as wall-clock time (``run.py``) and as instructions counted by callgrind
(``run.py --callgrind``). A target holds for both measures. ``run.py`` marks the missed
ones, and ``readme.py`` writes them into the README's table.
"""

from __future__ import annotations

# The pure-Python build (the reference implementation; the wheel every platform gets).
PURE: dict[str, float] = {
    "hello": 1.8,
    "json echo": 1.35,
    "inspect": 1.5,
    "stream 100 x 1 KiB": 1.5,
    "file 10 MB": 1.2,
    "form urlencoded 20 fields": 1.2,
    "form multipart 5 MB": 1.5,
    "websocket echo 10k": 1.6,
}

# The compiled build (mypyc): the hot paths, where the fixed cost per request dominates.
# Scenarios not named here keep their pure-Python target.
COMPILED: dict[str, float] = {
    **PURE,
    "hello": 1.3,
    "json echo": 1.15,
    "inspect": 1.2,
    "stream 100 x 1 KiB": 1.3,
    "websocket echo 10k": 1.3,
}


def target(scenario: str, *, compiled: bool) -> float | None:
    """The target of a scenario in one build, or ``None`` if it has none."""
    return (COMPILED if compiled else PURE).get(scenario)
