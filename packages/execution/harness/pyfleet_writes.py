"""pyfleet write control: what becomes of a control-system write the harness's guard let through.

Loaded by ``pyfleet_harness`` (a sibling file, or registered in ``sys.modules`` by the kernel
bootstrap). Python 3.11 standard library only; pyepics is imported only when a write or a
description needs it.

Three jobs, all driven by the run's *write policy* (JSON, ``configure``):

- **Describe** (dry run for the write manifest, ``describe_writes``): after the code ran with
  writes recorded, read every recorded PV's current value, units, precision and limits (DRVL/DRVH,
  else HOPR/LOPR) over Channel Access, so the approver sees ``current → proposed``.
- **Admit** (approved write run): a write goes ahead only to a PV of the signed manifest
  (``allowed_pvs``; ``None`` means no manifest restriction) and, with ``enforce_limits``, only a
  numeric value inside the manifest's limits. Anything else raises :class:`WriteRefused` (a policy
  error, never retried) before the put is attempted.
- **Perform truthfully**: connect with ``connection_timeout_s`` (not pyepics' 60 s default), put
  with completion (``wait=True`` unless the code chose), read back (a number that reads back as
  another number was refused by the IOC: pyepics does not report that), and record every write
  ``{pv, value, api, order, status, error, readback, at}``. A put that fails, raises or never
  connects (pyepics returns ``None`` instead of raising) raises :class:`ControlSystemWriteError`
  naming the PV; the report's error says so even when the code caught it.

This module sits inside the user's process: it is a friendly, truthful recorder, not the
boundary. The containment work moves the admission check into a CA gate outside the process; the
policy format here (``allowed_pvs``, ``limits``) is what that gate consumes.
"""

from __future__ import annotations

import hashlib
import math
import time
from datetime import datetime, timezone
from typing import Any, Callable

_THIS_FILE = globals().get("__file__") or "<pyfleet-writes>"


def _own_sha256() -> str | None:
    try:
        with open(_THIS_FILE, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


#: sha256 of this file's bytes (the kernel bootstrap compares it with its copy).
SOURCE_SHA256 = _own_sha256()

#: APIs that go through pyepics (Channel Access): connected, put with completion, read back.
_PYEPICS_APIS = ("epics.caput", "epics.caput_many", "epics.ca.put", "epics.PV.put", "epics.PV.value", "write_channel")


class WriteRefused(PermissionError):
    """A write the policy does not admit (PV not in the signed manifest, value outside limits)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class ControlSystemWriteError(RuntimeError):
    """A put that failed, raised or never connected."""


WriteRefused.__module__ = "builtins"
ControlSystemWriteError.__module__ = "builtins"


def normalize_pv(name: Any) -> str:
    """The PV name a manifest compares: stripped, without a trailing ``.VAL`` (the same field)."""
    text = str(name).strip()
    return text[:-4] if text.endswith(".VAL") else text


class _State:
    def __init__(self) -> None:
        self.allowed: set[str] | None = None
        self.limits: dict[str, tuple[float | None, float | None]] = {}
        self.enforce_limits = False
        self.timeout = 5.0
        self.writes: list[dict[str, Any]] = []
        self.problem: dict[str, Any] | None = None


STATE = _State()


def configure(policy: dict[str, Any] | None) -> None:
    """Sets the policy of the next run and forgets the last run's records."""
    p = policy or {}
    allowed = p.get("allowed_pvs")
    STATE.allowed = None if allowed is None else {normalize_pv(pv) for pv in allowed}
    STATE.limits = {}
    for pv, lim in (p.get("limits") or {}).items():
        if isinstance(lim, dict):
            STATE.limits[normalize_pv(pv)] = (_num(lim.get("low")), _num(lim.get("high")))
    STATE.enforce_limits = bool(p.get("enforce_limits"))
    STATE.timeout = float(p.get("connection_timeout_s") or 5.0)
    STATE.writes = []
    STATE.problem = None


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return None if math.isnan(v) else float(v)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a value read from or written to a PV."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value if not math.isinf(value) else str(value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return _plain(tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _note(problem: dict[str, Any]) -> None:
    if STATE.problem is None:
        STATE.problem = problem


def _record(pv: str, value: Any, api: str, status: str, error: str | None, readback: Any = None, code: str | None = None) -> None:
    STATE.writes.append(
        {
            "pv": pv,
            "value": _plain(value),
            "api": api,
            "order": len(STATE.writes) + 1,
            "status": status,
            "error": error,
            "code": code,
            "readback": _plain(readback),
            "at": _now(),
        }
    )


def _admit(api: str, pairs: list[tuple[Any, Any]]) -> None:
    for raw, value in pairs:
        pv = normalize_pv(raw)
        if STATE.allowed is not None and pv not in STATE.allowed:
            message = f"{api}({pv}) refused: {pv} is not in the approved write manifest ({', '.join(sorted(STATE.allowed)) or 'no writes'})"
            _record(pv, value, api, "refused", message, code="WRITE_NOT_IN_MANIFEST")
            _note({"code": "WRITE_NOT_IN_MANIFEST", "pv": pv, "message": message})
            raise WriteRefused(message, "WRITE_NOT_IN_MANIFEST")
        if STATE.enforce_limits and pv in STATE.limits:
            low, high = STATE.limits[pv]
            number = _num(value)
            if number is None or (low is not None and number < low) or (high is not None and number > high):
                message = f"{api}({pv}, {value!r}) refused: outside the approved limits {low} … {high}"
                _record(pv, value, api, "refused", message, code="WRITE_OUT_OF_LIMITS")
                _note({"code": "WRITE_OUT_OF_LIMITS", "pv": pv, "message": message})
                raise WriteRefused(message, "WRITE_OUT_OF_LIMITS")


def _fail(pv: str, value: Any, api: str, why: str) -> ControlSystemWriteError:
    message = f"control-system write to {pv} failed: {why}"
    _record(pv, value, api, "failed", message, code="CONTROL_SYSTEM_WRITE_FAILED")
    _note({"code": "CONTROL_SYSTEM_WRITE_FAILED", "pv": pv, "message": message})
    return ControlSystemWriteError(message)


def _connect(pv: str, timeout: float | None = None) -> Any:
    """The connected pyepics PV, or None after ``timeout`` (default: the policy's)."""
    import epics  # noqa: PLC0415  (only when a write goes through pyepics)

    chan = epics.get_pv(pv, connect=False)
    if chan.connected or chan.wait_for_connection(timeout=STATE.timeout if timeout is None else timeout):
        return chan
    return None


def _read_back(pv: str) -> Any:
    import epics  # noqa: PLC0415

    return epics.caget(pv, use_monitor=False, timeout=STATE.timeout, connection_timeout=STATE.timeout)


def perform(api: str, pairs: list[tuple[Any, Any]], call: Callable[[bool], Any]) -> Any:
    """Admits, performs (``call(wait)`` runs the real entry point) and records one write call.

    ``call`` gets ``True`` when the harness asks for completion (``wait=True``) for an API that
    supports it. Raises :class:`WriteRefused` or :class:`ControlSystemWriteError`.
    """
    _admit(api, pairs)
    names = [normalize_pv(pv) for pv, _ in pairs]
    if api not in _PYEPICS_APIS:
        try:
            result = call(False)
        except Exception as err:
            raise _fail(names[0] if names else "?", pairs[0][1] if pairs else None, api, f"{type(err).__name__}: {err}") from err
        for pv, (_, value) in zip(names, pairs):
            _record(pv, value, api, "ok", None)
        return result
    for pv, (_, value) in zip(names, pairs):
        try:
            chan = _connect(pv)
        except Exception as err:
            raise _fail(pv, value, api, f"cannot connect: {type(err).__name__}: {err}") from err
        if chan is None:
            raise _fail(pv, value, api, f"cannot connect within {STATE.timeout:g} s (connection timeout; is the IOC up and EPICS_CA_ADDR_LIST right?)")
        if getattr(chan, "write_access", True) is False:
            raise _fail(pv, value, api, "the IOC grants no write access to this PV")
    started = time.monotonic()
    try:
        result = call(True)
    except Exception as err:
        raise _fail(names[0] if names else "?", pairs[0][1] if pairs else None, api, f"{type(err).__name__}: {err}") from err
    statuses = result if isinstance(result, list) and len(result) == len(pairs) else [result] * len(pairs)
    for pv, (_, value), status in zip(names, pairs, statuses):
        if api == "epics.PV.value":
            status = 1  # the property setter returns nothing; failures raise
        if status is None or (isinstance(status, (int, float)) and not isinstance(status, bool) and status < 0):
            waited = time.monotonic() - started
            why = "the put did not complete" if status is not None else "pyepics returned None (not connected or put refused)"
            raise _fail(pv, value, api, f"{why} after {waited:.1f} s")
        try:
            readback = _read_back(pv)
        except Exception as err:  # noqa: BLE001  (the put happened; a failed read-back is reported, not fatal)
            readback = f"<read-back failed: {type(err).__name__}: {err}>"
        if _not_taken(value, readback):
            # pyepics reports a completed put even when the IOC refused it (it ignores the put
            # callback's status): a numeric setpoint that reads back unchanged was not taken
            message = f"control-system write to {pv} failed: the IOC did not take {value!r} (it reads back {readback!r})"
            _record(pv, value, api, "failed", message, readback, code="CONTROL_SYSTEM_WRITE_FAILED")
            _note({"code": "CONTROL_SYSTEM_WRITE_FAILED", "pv": pv, "message": message})
            raise ControlSystemWriteError(message)
        _record(pv, value, api, "ok", None, readback)
    return result


def _not_taken(value: Any, readback: Any) -> bool:
    """True when a number was put and a different number reads back (float32 rounding allowed)."""
    v, r = _num(value), _num(readback)
    if v is None or r is None:
        return False
    return abs(v - r) > 1e-9 + 1e-6 * abs(v)


def describe(pv: str, timeout: float | None = None) -> dict[str, Any]:
    """Current value, units, precision and limits of a PV for the write manifest (never raises)."""
    out: dict[str, Any] = {"pv": pv, "connected": False, "current": None, "units": None, "precision": None, "limits": None, "error": None}
    try:
        chan = _connect(pv, timeout)
    except Exception as err:  # noqa: BLE001  (pyepics missing, bad name: the manifest says so)
        out["error"] = f"cannot connect: {type(err).__name__}: {err}"
        return out
    if chan is None:
        out["error"] = f"cannot connect within {STATE.timeout:g} s"
        return out
    out["connected"] = True
    try:
        ctrl = chan.get_ctrlvars(timeout=STATE.timeout) or {}
        out["current"] = _plain(chan.get(use_monitor=False, timeout=STATE.timeout))
    except Exception as err:  # noqa: BLE001
        out["error"] = f"cannot read: {type(err).__name__}: {err}"
        return out
    units = ctrl.get("units")
    out["units"] = (units.decode("utf-8", "replace") if isinstance(units, bytes) else units) or None
    out["precision"] = ctrl.get("precision")
    out["limits"] = _limits(ctrl)
    return out


def _limits(ctrl: dict[str, Any]) -> dict[str, Any] | None:
    """DRVL/DRVH (CA control limits) when set, else LOPR/HOPR (display limits), else None.

    EPICS leaves unset limits at 0 … 0, which means "no limits", not "only zero".
    """
    for low_key, high_key, source in (("lower_ctrl_limit", "upper_ctrl_limit", "DRVL/DRVH"), ("lower_disp_limit", "upper_disp_limit", "LOPR/HOPR")):
        low, high = _num(ctrl.get(low_key)), _num(ctrl.get(high_key))
        if low is not None and high is not None and (low != 0 or high != 0) and low <= high:
            return {"low": low, "high": high, "source": source}
    return None


def describe_recorded(recorded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One description per distinct PV of a dry run's recorded writes, in first-write order.

    All channels are searched at once and share one connection deadline, so ten unreachable PVs
    cost one timeout, not ten.
    """
    pvs = list(dict.fromkeys(normalize_pv(w.get("pv")) for w in recorded))
    try:
        import epics  # noqa: PLC0415

        for pv in pvs:
            epics.get_pv(pv, connect=False)
    except Exception:  # noqa: BLE001  (describe() reports the reason per PV)
        pass
    deadline = time.monotonic() + STATE.timeout
    return [describe(pv, max(0.05, deadline - time.monotonic())) for pv in pvs]


def report_error(error: dict[str, Any] | None) -> dict[str, Any] | None:
    """The run's error: a refused or failed write wins over whatever the code did afterwards."""
    p = STATE.problem
    if p is None:
        return error
    ename = "PermissionError" if p["code"] != "CONTROL_SYSTEM_WRITE_FAILED" else "ControlSystemWriteError"
    caught = "" if error is not None else " (the code caught the error and went on)"
    traceback = error.get("traceback", "") if error else ""
    return {"ename": ename, "evalue": p["message"] + caught, "traceback": traceback, "category": "policy", "code": p["code"]}
