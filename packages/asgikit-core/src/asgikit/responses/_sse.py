"""Server-Sent Events (HTML Living Standard §9.2, "text/event-stream")."""

from __future__ import annotations

import re

from asgikit.errors import HeaderValueError

__all__ = ["ServerSentEvent"]

_surrogate = re.compile("[\ud800-\udfff]")


class ServerSentEvent:
    """One event of an event stream.

    ``data`` may span lines (each becomes its own ``data:`` line); ``event`` and ``id``
    may not hold CR, LF or (``id``) NUL, since those would forge other fields; ``retry``
    is the reconnection time in milliseconds; ``comment`` alone makes a keep-alive.
    A lone surrogate, which UTF-8 cannot hold, is sent as U+FFFD.
    """

    __slots__ = ("comment", "data", "event", "id", "retry")

    def __init__(
        self,
        data: str | None = None,
        *,
        event: str | None = None,
        id: str | None = None,
        retry: int | None = None,
        comment: str | None = None,
    ) -> None:
        for name, value in (("event", event), ("id", id)):
            if value is not None and ("\r" in value or "\n" in value or "\0" in value):
                raise HeaderValueError(f"event {name} {value!r} may not hold CR, LF or NUL")
        if retry is not None and (type(retry) is not int or retry < 0):
            raise HeaderValueError(f"event retry must be a non-negative int, got {retry!r}")
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.comment = comment

    def encode(self) -> bytes:
        """The event as it goes on the wire, ending with the blank line."""
        lines: list[str] = []
        if self.comment is not None:
            lines.extend(f": {line}" for line in self.comment.splitlines() or [""])
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.id is not None:
            lines.append(f"id: {self.id}")
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        if self.data is not None:
            data_lines = self.data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            lines.extend(f"data: {line}" for line in data_lines)
        text = "\n".join(lines) + "\n\n"
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate cannot be UTF-8: it becomes U+FFFD, as a browser turns a
            # string into the scalar values it encodes (WHATWG Infra, "scalar value string").
            return _surrogate.sub("\ufffd", text).encode("utf-8")

    def __repr__(self) -> str:
        return f"ServerSentEvent({self.encode()!r})"
