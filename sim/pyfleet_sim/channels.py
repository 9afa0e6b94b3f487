"""Channels of the simulated IOC: read-only values and writable setpoints that count every put.

A put that reaches the IOC is counted whatever happens to it: accepted (``SIM:PUTS:<pv>``) or
refused (``SIM:PUTS_REFUSED:<pv>``: outside DRVL..DRVH, interlock disabled, not a number), and
appended to the JSON-lines put log before the client gets its answer. A put to a read-only PV
never reaches this code: the IOC grants clients read access only, so libca refuses it locally.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from caproto import AccessRights, ChannelDouble, ChannelEnum, ChannelInteger, ChannelString

Refusal = Callable[[str, Any], str | None]


class PutLog:
    """Appends one JSON line per put; counts per PV live in counter channels of the IOC."""

    def __init__(self, path: str | None) -> None:
        self._file: IO[str] | None = open(path, "a", encoding="utf-8", buffering=1) if path else None  # noqa: SIM115
        self._lock = threading.Lock()
        self.seq = 0

    def write(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.seq += 1
            if self._file is not None:
                self._file.write(json.dumps({"seq": self.seq, **record}, default=str) + "\n")
                self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class ReadOnlyDouble(ChannelDouble):  # type: ignore[misc]
    """A measured value: clients may read it, never write it."""

    def check_access(self, hostname: str, username: str) -> AccessRights:
        return AccessRights.READ


class ReadOnlyInteger(ChannelInteger):  # type: ignore[misc]
    """A counter: clients may read it, never write it."""

    def check_access(self, hostname: str, username: str) -> AccessRights:
        return AccessRights.READ


class ReadOnlyString(ChannelString):  # type: ignore[misc]
    """A text field (EGU): clients may read it, never write it."""

    def check_access(self, hostname: str, username: str) -> AccessRights:
        return AccessRights.READ


class PutRefused(ValueError):
    """Raised to the CA server so the client's put fails (ECA_PUTFAIL)."""


class _Counted:
    """Mixin: counts every put and logs it; `refuse` may veto a value with a reason."""

    pvname: str
    accepted: ChannelInteger
    refused: ChannelInteger
    total: ChannelInteger
    log: PutLog
    refuse: Refusal

    def _setup_counting(self, pvname: str, log: PutLog, refuse: Refusal, total: ChannelInteger) -> None:
        self.pvname = pvname
        self.log = log
        self.refuse = refuse
        self.total = total
        self.accepted = ReadOnlyInteger(value=0)
        self.refused = ReadOnlyInteger(value=0)

    async def _count(self, value: Any, check: Callable[[Any], Any]) -> Any:
        reason = self.refuse(self.pvname, value)
        result: Any = None
        if reason is None:
            try:
                result = await check(value)
            except Exception as exc:
                reason = str(exc) or type(exc).__name__
        counter = self.refused if reason else self.accepted
        await counter.write(counter.value + 1)
        await self.total.write(self.total.value + 1)
        self.log.write(
            {
                "time": time.time(),
                "pv": self.pvname,
                "value": value,
                "accepted": reason is None,
                "error": reason,
                "count": self.accepted.value,
                "refused": self.refused.value,
            }
        )
        if reason:
            raise PutRefused(f"{self.pvname}: {reason}")
        return result


class CountedDouble(_Counted, ChannelDouble):  # type: ignore[misc]
    """A writable analog setpoint with DRVL/DRVH as control limits (caproto refuses values outside)."""

    def __init__(self, pvname: str, log: PutLog, refuse: Refusal, total: ChannelInteger, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._setup_counting(pvname, log, refuse, total)

    async def verify_value(self, data: Any) -> Any:
        async def check(value: Any) -> Any:
            scalar = value[0] if isinstance(value, list | tuple) and len(value) == 1 else value
            if isinstance(scalar, float) and not math.isfinite(scalar):
                raise PutRefused(f"{scalar} is not a finite number")
            return await ChannelDouble.verify_value(self, value)

        return await self._count(data, check)


class CountedEnum(_Counted, ChannelEnum):  # type: ignore[misc]
    """A writable enum (the interlock enable) that counts its puts."""

    def __init__(self, pvname: str, log: PutLog, refuse: Refusal, total: ChannelInteger, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._setup_counting(pvname, log, refuse, total)

    async def verify_value(self, data: Any) -> Any:
        async def check(value: Any) -> Any:
            return await ChannelEnum.verify_value(self, value)

        return await self._count(data, check)
