"""mypyc's class options, for the compiled build, without a dependency at run time.

mypyc reads ``mypyc_attr`` (from mypy_extensions, which mypy brings) when it compiles a
module, and drops it; at run time this pure module gives a decorator that does nothing,
since asgikit-core depends on nothing but the standard library. (Not in a compiled
module: mypyc takes ``TYPE_CHECKING`` for true and would compile the run-time branch as
unreachable.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_extensions import mypyc_attr as mypyc_attr
else:

    def mypyc_attr(*_args: object, **_options: object) -> Callable[[type], type]:
        return lambda cls: cls
