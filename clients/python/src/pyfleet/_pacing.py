"""How both clients pace ``wait()`` and resume ``events()``: the bookkeeping, without the I/O."""

from __future__ import annotations

import time

from ._common import wait_timeout
from .errors import unreachable
from .models import RunDetails, RunEvent, is_terminal
from .sse import SseMessage


class WaitPacing:
    """Polls from 50 ms doubling to 1 s, never sleeping past the deadline."""

    def __init__(self, run_id: str, timeout: float, until_approval: bool) -> None:
        self._run_id = run_id
        self._timeout = timeout
        self._until_approval = until_approval
        self._deadline = time.monotonic() + timeout
        self._delay = 0.05

    def done(self, run: RunDetails) -> bool:
        """Terminal, or parked for approval when the caller waits only that long."""
        return is_terminal(run.status) or (self._until_approval and run.status == "awaiting_approval")

    def pause(self, run: RunDetails) -> float:
        """Seconds to sleep before the next poll. Raises ``WAIT_TIMEOUT`` past the deadline."""
        if time.monotonic() >= self._deadline:
            raise wait_timeout(self._run_id, run.status, self._timeout)
        seconds = min(self._delay, max(0.0, self._deadline - time.monotonic()))
        self._delay = min(self._delay * 2, 1.0)
        return seconds


class EventResume:
    """Where an event stream resumes after a dropped connection (the last event id), and how many
    drops in a row it tolerates, so no event is lost or repeated."""

    def __init__(self, last_event_id: str | None, max_reconnects: int) -> None:
        self.last = last_event_id
        self.got_any = False
        self._failures = 0
        self._max_reconnects = max_reconnects

    def connecting(self) -> None:
        self.got_any = False

    def accept(self, msg: SseMessage) -> RunEvent:
        event = RunEvent.model_validate_json(msg.data)
        self.last = msg.id or event.id or self.last
        self.got_any, self._failures = True, 0
        return event

    def dropped(self, url: str, exc: Exception) -> None:
        """Counts a drop; ``BACKEND_UNAVAILABLE`` after ``max_reconnects`` in a row."""
        self._failures += 1
        if self._failures > self._max_reconnects:
            raise unreachable(url, exc) from exc

    def pause(self) -> float:
        return min(0.1 * self._failures, 2.0)
