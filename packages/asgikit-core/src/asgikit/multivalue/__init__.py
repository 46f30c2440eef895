"""A dict where a name may carry several values."""

from __future__ import annotations

from typing import TypeVar, overload

__all__ = ["MultiValueDict"]

V = TypeVar("V")
D = TypeVar("D")


class MultiValueDict(dict[str, V | list[V]]):
    """A ``dict`` in which a name seen once maps to its value and a repeated name to a list.

    That is the shape of ``request.query``, ``request.cookies`` and ``read_form()``: plain
    to print, index and serialise. Code that must not guess uses :meth:`get_all`, which
    always gives a list, or :meth:`get_first`, which always gives one value.
    """

    __slots__ = ()

    def add(self, name: str, value: V) -> None:
        """Append ``value`` to the values of ``name``, keeping arrival order."""
        current = self.get(name, _MISSING)
        if current is _MISSING:
            self[name] = value
        elif type(current) is list:
            current.append(value)
        else:
            self[name] = [current, value]  # type: ignore[list-item]

    def get_all(self, name: str) -> list[V]:
        """Every value of ``name`` in arrival order; ``[]`` when absent."""
        current = self.get(name, _MISSING)
        if current is _MISSING:
            return []
        if type(current) is list:
            return list(current)
        return [current]  # type: ignore[list-item]

    @overload
    def get_first(self, name: str) -> V | None: ...
    @overload
    def get_first(self, name: str, default: D) -> V | D: ...
    def get_first(self, name: str, default: object = None) -> object:
        """The first value of ``name``, or ``default`` when absent."""
        current = self.get(name, _MISSING)
        if current is _MISSING:
            return default
        if type(current) is list:
            return current[0]
        return current


_MISSING: object = object()
