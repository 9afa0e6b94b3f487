"""Server-Sent Events parsing (the subset the fleet sends: id, event, data, comments)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SseMessage:
    """One complete event: only yielded once its terminating blank line arrived."""

    id: str | None
    event: str
    data: str


@dataclass
class SseDecoder:
    """Feeds lines, returns a message at each blank line. A half-received event is never returned."""

    _id: str | None = None
    _event: str = "message"
    _data: list[str] = field(default_factory=list)

    def feed(self, line: str) -> SseMessage | None:
        line = line.rstrip("\r\n")
        if line == "":
            msg = SseMessage(self._id, self._event, "\n".join(self._data)) if self._data else None
            self._id, self._event, self._data = None, "message", []
            return msg
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "id":
            self._id = value
        elif name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None


def parse_sse(lines: Iterable[str]) -> Iterator[SseMessage]:
    """Messages of a line stream (e.g. ``httpx.Response.iter_lines()``)."""
    decoder = SseDecoder()
    for line in lines:
        msg = decoder.feed(line)
        if msg is not None:
            yield msg


async def aparse_sse(lines: AsyncIterator[str]) -> AsyncIterator[SseMessage]:
    """Messages of an async line stream (e.g. ``httpx.Response.aiter_lines()``)."""
    decoder = SseDecoder()
    async for line in lines:
        msg = decoder.feed(line)
        if msg is not None:
            yield msg
