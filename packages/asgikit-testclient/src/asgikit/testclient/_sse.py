"""Server-Sent Events as a browser's EventSource reads them (WHATWG HTML, "Parsing an
event stream" and "Interpreting an event stream"), sans-IO, plus the stream the client
iterates."""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2

from ._http import Exchange, exchange_of


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event: ``event`` ("message" unless named), ``data`` (the data
    lines joined with LF), ``id`` (the last event ID at dispatch), ``retry`` (the
    reconnection time in ms most recently set by the stream, or None)."""

    event: str
    data: str
    id: str
    retry: int | None


class EventStreamParser:
    """Feed bytes in any split; get the events they complete.

    "The stream must then be parsed by reading everything line by line, with a U+000D
    CARRIAGE RETURN U+000A LINE FEED (CRLF) character pair, a single U+000A LINE FEED (LF)
    character not preceded by a U+000D CARRIAGE RETURN (CR) character, and a single
    U+000D CARRIAGE RETURN (CR) character not followed by a U+000A LINE FEED (LF)
    character being the ways in which a line can end." One leading BOM is dropped;
    invalid UTF-8 becomes U+FFFD.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._started = False
        self._buffer = ""
        self._after_cr = False
        self._data: list[str] = []
        self._event = ""
        self._last_id = ""
        self._retry: int | None = None

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        text = self._decoder.decode(data)
        if not self._started and text:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        events: list[ServerSentEvent] = []
        for char in text:
            if self._after_cr:
                self._after_cr = False
                if char == "\n":
                    continue
            if char in "\r\n":
                self._after_cr = char == "\r"
                line, self._buffer = self._buffer, ""
                event = self._line(line)
                if event is not None:
                    events.append(event)
            else:
                self._buffer += char
        return events

    def _line(self, line: str) -> ServerSentEvent | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        # "If the data buffer is an empty string, set the data buffer and the event type
        # buffer to the empty string and return." A trailing incomplete event at the end
        # of the stream is never dispatched, as here: only a blank line dispatches.
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            return None
        return ServerSentEvent(event or "message", "\n".join(data), self._last_id, self._retry)


class EventStream:
    """The events of a ``text/event-stream`` response, as they arrive.

    ``async for event in stream`` reads each one with the client's timeout;
    :meth:`receive` takes one with its own. ``response`` is the httpx response,
    ``exchange`` what the app sent. The body is read decoded (``Content-Encoding``
    undone piece by piece as it arrives), as a browser reads it. Leaving the
    ``async with`` block before the stream ends is the browser going away: the app
    sees ``http.disconnect``.
    """

    def __init__(self, response: httpx2.Response) -> None:
        self.response = response
        self._parser = EventStreamParser()
        self._pending: list[ServerSentEvent] = []
        self._chunks: AsyncIterator[bytes] = response.aiter_bytes()

    @property
    def exchange(self) -> Exchange:
        return exchange_of(self.response)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> ServerSentEvent:
        while not self._pending:
            chunk = await self._chunks.__anext__()
            self._pending.extend(self._parser.feed(chunk))
        return self._pending.pop(0)

    async def receive(self, *, timeout: float | None = None) -> ServerSentEvent:
        """The next event; ``StopAsyncIteration`` at the end of the stream."""
        if timeout is None:
            return await self.__anext__()
        exchange = self.exchange
        default, exchange.timeout = exchange.timeout, timeout
        try:
            return await self.__anext__()
        finally:
            exchange.timeout = default
