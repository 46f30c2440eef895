"""Server-Sent Events as a browser's EventSource reads them (WHATWG HTML, "Parsing an
event stream" and "Interpreting an event stream"), sans-IO, plus the stream the client
iterates."""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2

from ._errors import AppTimeoutError
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
        # The read in progress. A per-receive timeout gives up waiting for it, not the
        # read itself: cancelling it would end the response's body iterator (and the
        # app), so it is kept for the next receive.
        self._reading: asyncio.Task[bytes | None] | None = None

    @property
    def exchange(self) -> Exchange:
        return exchange_of(self.response)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> ServerSentEvent:
        return await self.receive()

    async def receive(self, *, timeout: float | None = None) -> ServerSentEvent:
        """The next event; ``StopAsyncIteration`` at the end of the stream.

        Past ``timeout`` seconds without an event, :class:`AppTimeoutError` fails this
        receive only: the app goes on and the next receive can still get its event.
        The client's timeout (or the stream's, ``event_stream(timeout=)``) still bounds
        how long the app may stay silent: past it the app is stopped and the receive
        raises."""
        while not self._pending:
            chunk = await self._next_chunk(timeout)
            if chunk is None:
                raise StopAsyncIteration
            self._pending.extend(self._parser.feed(chunk))
        return self._pending.pop(0)

    async def _next_chunk(self, timeout: float | None) -> bytes | None:
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read())
        reading = self._reading
        done, _ = await asyncio.wait({reading}, timeout=timeout)
        if not done:
            assert timeout is not None  # without one, the body's own bound ends the read
            raise AppTimeoutError("the app sent no event", timeout=timeout, sent=self.exchange.sent)
        self._reading = None
        return reading.result()

    async def _read(self) -> bytes | None:
        try:
            return await anext(self._chunks)
        except StopAsyncIteration:
            return None

    async def aclose(self) -> None:
        """Stop a read still waiting (the test left without it). Stopping it closes
        the response (httpx closes it when its iterator ends): what that raised (the
        app did not finish after the client left), or what the read had ended with,
        is raised here."""
        reading, self._reading = self._reading, None
        if reading is not None:
            reading.cancel()
            await asyncio.wait({reading})
            if not reading.cancelled():
                reading.result()
