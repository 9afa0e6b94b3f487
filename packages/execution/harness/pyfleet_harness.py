"""pyfleet execution harness: runs one piece of user code and reports what happened.

One file, Python 3.11 standard library only (numpy, pandas and matplotlib are used when present).
Every backend runs user code through it, so results, figures and errors look the same everywhere.
Call the project venv's interpreter explicitly (``<repo>/.venv/bin/python``), never a ``python3`` from PATH.

Script mode (local and docker backends)
---------------------------------------
::

    <repo>/.venv/bin/python pyfleet_harness.py --code CODE.py [--context context.json]
        [--mode read_only|write_access] [--dry-run] [--report report.json]
        [--rlimit-as-mb N] [--rlimit-cpu-s N] [--rlimit-nofile N] [--parent-pid PID]
        [--write-policy policy.json] [--describe-writes]

- The user code runs with cwd as given by the caller (it is put first on ``sys.path``);
  ``__name__ == "__main__"``; globals ``context``, ``read_channel``, ``write_channel``,
  ``write_channels``.
- stdout/stderr of the user code go straight to the process's stdout/stderr (UTF-8, line
  buffered), so the caller can stream them. The harness itself prints nothing.
- The report (JSON, see below) is written atomically to ``--report`` (default
  ``./pyfleet_report.json``); figures are embedded in it as base64 PNG.
- Exit code 0 means the report was written, whether or not the user code failed. 2 means bad
  arguments, 3 that the report could not be written. Any other exit (a signal, ``os._exit``)
  means the process died before reporting.
- Resource limits (``RLIMIT_AS`` / ``RLIMIT_CPU`` / ``RLIMIT_NOFILE``) are applied before the
  user code runs; SIGINT interrupts the user code and still produces a report.

Kernel mode (container backend)
-------------------------------
The harness module is loaded into a Jupyter kernel (imported from disk by the kernelspec
launcher or executed from source by the client). Each run is one execute request::

    __import__("pyfleet_harness").kernel_run("<base64 of JSON {code, context, mode, dry_run, max_output_bytes,
        write_policy, describe_writes}>")

stdout/stderr travel as ``stream`` messages, each figure as ``display_data`` with ``image/png``
(metadata ``{"pyfleet": {"figure": name}}``), and the report as ``display_data`` of
``RESULT_MIME`` (figures listed without their data). User code runs in a fresh namespace.
stdout/stderr are capped in the kernel at ``max_output_bytes`` each; the report's
``output_dropped`` says how many bytes were dropped per stream.

Report (``PROTOCOL`` 1)
-----------------------
``{"protocol": 1, "status": "ok"|"error", "results": dict|null, "error": null|{ename, evalue,
traceback, category, code}, "figures": [{name, data?}], "recorded_writes": [{pv, value, api,
order}], "performed_writes": [{pv, value, api, order, status, error, code, readback, at}],
"write_targets": [{pv, connected, current, units, precision, limits, error}], "warnings": [str],
"interrupted": bool, "duration_ms": float, "output_dropped": {stdout?: int, stderr?: int}}``.
``error.category`` is ``policy`` for a refused control-system write (code ``WRITE_IN_READ_ONLY``,
``WRITE_NOT_IN_MANIFEST``, ``WRITE_OUT_OF_LIMITS``) and for a put that failed or never connected
(``CONTROL_SYSTEM_WRITE_FAILED``), ``code`` otherwise (``SYNTAX_ERROR``, ``RUNTIME_ERROR``,
``EXECUTION_TIMEOUT`` when the run was interrupted). The traceback holds no harness frames.

Writes (``pyfleet_writes``, a sibling module)
---------------------------------------------
In ``write_access`` mode an admitted write is checked against ``write_policy`` (PVs of the signed
manifest, limits), performed with completion and a connection timeout, read back and listed in
``performed_writes``; ``--describe-writes`` with ``--dry-run`` reads current value, units and
limits of every recorded PV into ``write_targets`` (the write manifest).

Read-only guard
---------------
``install_guard(mode)`` puts an import hook first on ``sys.meta_path`` and patches every known
control-system write entry point (pyepics, caproto, p4p, pvaccess, Tango) when its module is
imported (also later, also under an alias) or right away when it already is. In ``read_only``
mode a write raises ``PermissionError`` (``ReadOnlyViolation``); with ``dry_run`` the write is
recorded (pv, value, api, order from 1) and not performed. A module whose entry points cannot be
patched cannot be imported in read-only mode (fail closed). A read-only kernel locks the guard:
later calls cannot relax it.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import datetime as _dt
import decimal
import enum
import hashlib
import importlib.abc
import inspect
import io
import json
import linecache
import math
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any, Callable

PROTOCOL = 1
RESULT_MIME = "application/vnd.pyfleet.result+json"
CODE_FILENAME = "code.py"
_THIS_FILE = globals().get("__file__") or "<pyfleet-harness>"
_MODES = ("read_only", "write_access")


def _own_sha256() -> str | None:
    try:
        with open(_THIS_FILE, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


#: sha256 of this file's bytes; the container client compares it with its copy.
SOURCE_SHA256 = _own_sha256()


# --------------------------------------------------------------------------- guard


class ReadOnlyViolation(PermissionError):
    """A control-system write attempted in read-only mode."""


# tracebacks show it as the PermissionError it is, the same in script and kernel mode
ReadOnlyViolation.__module__ = "builtins"
ReadOnlyViolation.__qualname__ = "PermissionError"
# IPython names an error by __name__: a re-run notebook shows PermissionError like the run did.
ReadOnlyViolation.__name__ = "PermissionError"


class GuardState:
    """Mode of the guard and what it saw during the current run (plain data on purpose)."""

    def __init__(self) -> None:
        self.mode = "read_only"
        self.locked_read_only = False
        self.dry_run = False
        self.writes: list[dict[str, Any]] = []
        self.violations: list[str] = []

    def configure(self, mode: str, dry_run: bool) -> None:
        if mode not in _MODES:
            raise ValueError(f"unknown execution mode {mode!r}")
        self.mode = "read_only" if self.locked_read_only else mode
        self.dry_run = bool(dry_run)
        self.writes = []
        self.violations = []

    @property
    def read_only(self) -> bool:
        return self.locked_read_only or self.mode == "read_only"


GUARD = GuardState()
_installed = False


def _admit_write(api: str, pairs: list[tuple[Any, Any]]) -> bool:
    """True when the real write may go ahead; records it (dry run) or raises (read-only)."""
    if GUARD.dry_run:
        for pv, value in pairs:
            GUARD.writes.append(
                {"pv": str(pv), "value": _to_json(value, "write", []), "api": api, "order": len(GUARD.writes) + 1}
            )
        return False
    if GUARD.read_only:
        names = ", ".join(str(pv) for pv, _ in pairs) or "?"
        message = f"{api}({names}) refused: control-system writes are not allowed in read_only mode"
        GUARD.violations.append(message)
        raise ReadOnlyViolation(message)
    return True


def _arg(args: tuple, kwargs: dict, index: int, name: str) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name)


def _epics_chid_name(chid: Any) -> str:
    try:
        from epics import ca  # noqa: PLC0415  (only reached when epics is loaded)

        return str(ca.name(chid))
    except Exception:  # a bad chid must still be refused, so any name will do
        return str(chid)


def _pairs_of(mapping_or_names: Any, values: Any) -> list[tuple[Any, Any]]:
    if isinstance(mapping_or_names, dict):
        return list(mapping_or_names.items())
    if isinstance(mapping_or_names, (list, tuple)):
        vals = list(values) if isinstance(values, (list, tuple)) else [values] * len(mapping_or_names)
        return list(zip(mapping_or_names, vals))
    return [(mapping_or_names, values)]


# extractor(args, kwargs) -> [(pv, value)]; args include self for methods
_Extract = Callable[[tuple, dict], "list[tuple[Any, Any]]"]


def _fn(pv_i: int, pv_n: str, v_i: int, v_n: str) -> _Extract:
    return lambda a, k: [(_arg(a, k, pv_i, pv_n), _arg(a, k, v_i, v_n))]


def _self_attr(attr: str, v_i: int, v_n: str) -> _Extract:
    return lambda a, k: [(getattr(a[0], attr, "?") if a else "?", _arg(a, k, v_i, v_n))]


def _many(pv_i: int, pv_n: str, v_i: int, v_n: str) -> _Extract:
    return lambda a, k: _pairs_of(_arg(a, k, pv_i, pv_n), _arg(a, k, v_i, v_n))


def _autosave_pairs(a: tuple, k: dict) -> list[tuple[Any, Any]]:
    """``epics.autosave.restore_pvs(path)``: the (pv, value) pairs of the save file, read as pyepics does."""
    path = _arg(a, k, 0, "filepath")
    pairs: list[tuple[Any, Any]] = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split(" ", 1)
                if len(line) >= 2 and not line.startswith(("<END", "#")) and len(parts) == 2:
                    pairs.append((parts[0].strip(), parts[1].strip()))
    except (OSError, TypeError, ValueError):
        pass  # refused all the same, under the file's name
    return pairs or [(f"<PVs saved in {path}>", None)]


# module -> [(dotted attribute, api name, extractor, value returned in dry run)]
_TARGETS: dict[str, list[tuple[str, str, _Extract, Any]]] = {
    "epics": [
        ("caput", "epics.caput", _fn(0, "pvname", 1, "value"), 1),
        ("caput_many", "epics.caput_many", _many(0, "pvlist", 1, "values"), None),
    ],
    "epics.ca": [
        ("put", "epics.ca.put", lambda a, k: [(_epics_chid_name(_arg(a, k, 0, "chid")), _arg(a, k, 1, "value"))], 1),
        # a synchronous-group put goes straight to libca (ca_sg_array_put), not through ca.put
        ("sg_put", "epics.ca.sg_put", lambda a, k: [(_epics_chid_name(_arg(a, k, 1, "chid")), _arg(a, k, 2, "value"))], 1),
    ],
    # restore_pvs puts every saved value; its bare except would swallow a refused PV.put
    "epics.autosave.save_restore": [("restore_pvs", "epics.autosave.restore_pvs", _autosave_pairs, True)],
    "epics.autosave": [("restore_pvs", "epics.autosave.restore_pvs", _autosave_pairs, True)],
    "epics.pv": [("PV.put", "epics.PV.put", _self_attr("pvname", 1, "value"), 1)],
    "caproto.sync.client": [("write", "caproto.sync.client.write", _fn(0, "pv_name", 1, "data"), None)],
    "caproto.threading.client": [("PV.write", "caproto.threading.PV.write", _self_attr("name", 1, "data"), None)],
    "caproto.asyncio.client": [("PV.write", "caproto.asyncio.PV.write", _self_attr("name", 1, "data"), None)],
    "caproto.threading.pyepics_compat": [
        ("PV.put", "caproto.pyepics_compat.PV.put", _self_attr("pvname", 1, "value"), 1),
        ("caput", "caproto.pyepics_compat.caput", _fn(0, "pvname", 1, "value"), 1),
    ],
    "p4p.client.thread": [
        ("Context.put", "p4p.Context.put", _many(1, "name", 2, "values"), None),
        ("Context.rpc", "p4p.Context.rpc", _fn(1, "name", 2, "value"), None),
    ],
    "p4p.client.asyncio": [
        ("Context.put", "p4p.asyncio.Context.put", _many(1, "name", 2, "values"), None),
        ("Context.rpc", "p4p.asyncio.Context.rpc", _fn(1, "name", 2, "value"), None),
    ],
    "p4p.client.cothread": [
        ("Context.put", "p4p.cothread.Context.put", _many(1, "name", 2, "values"), None),
        ("Context.rpc", "p4p.cothread.Context.rpc", _fn(1, "name", 2, "value"), None),
    ],
    "pvaccess": [
        (f"{cls}.{m}", f"pvaccess.{cls}.{m}", _self_attr("name", 1, "value"), None)
        for cls in ("Channel", "MultiChannel")
        for m in ("put", "putInt", "putDouble", "putFloat", "putString", "putScalarArray", "putBoolean", "putLong")
    ],
}


def _call_or_none(obj: Any, method: str) -> Any:
    try:
        return getattr(obj, method)()
    except Exception:  # a proxy that cannot answer must still be refused, so any name will do
        return None


def _tango_name(device: Any, attr: Any) -> str:
    """Full Tango name ``domain/family/member/attribute``: the proxy names the device, the call the attribute."""
    dev = _call_or_none(device, "dev_name")
    return f"{dev}/{attr}" if dev and "/" not in str(attr) else str(attr)


def _tango_device(v_i: int, v_n: str) -> _Extract:
    return lambda a, k: [(_tango_name(a[0] if a else None, _arg(a, k, 1, "attr_name")), _arg(a, k, v_i, v_n))]


def _tango_device_many(a: tuple, k: dict) -> list[tuple[Any, Any]]:
    """``write_attributes([(name, value), ...])``: one recorded write per attribute."""
    name_val = _arg(a, k, 1, "name_val")
    pairs = name_val if isinstance(name_val, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in name_val) else None
    if pairs is None:
        return [(_tango_name(a[0] if a else None, name_val), None)]
    return [(_tango_name(a[0] if a else None, n), v) for n, v in pairs]


def _tango_attribute(a: tuple, k: dict) -> list[tuple[Any, Any]]:
    proxy = a[0] if a else None
    attr = _call_or_none(proxy, "name") or "?"
    return [(_tango_name(_call_or_none(proxy, "get_device_proxy"), attr), _arg(a, k, 1, "value"))]


for _tango in ("tango", "PyTango"):
    _TARGETS[_tango] = [
        (f"DeviceProxy.{m}", f"{_tango}.DeviceProxy.{m}", _tango_device(2, "value"), None)
        for m in ("write_attribute", "write_attribute_asynch", "write_read_attribute")
    ] + [
        ("DeviceProxy.write_attributes", f"{_tango}.DeviceProxy.write_attributes", _tango_device_many, None),
        ("DeviceProxy.command_inout", f"{_tango}.DeviceProxy.command_inout", _tango_device(2, "cmd_param"), None),
    ] + [(f"AttributeProxy.{m}", f"{_tango}.AttributeProxy.{m}", _tango_attribute, None) for m in ("write", "write_read")]


async def _resolved(value: Any) -> Any:
    return value


_writes_module: Any = None


def _writes() -> Any:
    """The sibling module ``pyfleet_writes`` (admission, truthful puts, manifest descriptions):
    registered by the kernel bootstrap, else loaded from beside this file."""
    global _writes_module
    if _writes_module is None:
        module = sys.modules.get("pyfleet_writes")
        if module is None:
            import importlib.util  # noqa: PLC0415

            path = os.path.join(os.path.dirname(os.path.abspath(_THIS_FILE)), "pyfleet_writes.py")
            spec = importlib.util.spec_from_file_location("pyfleet_writes", path)
            if spec is None or spec.loader is None:
                raise ImportError(f"pyfleet_writes not found beside the harness ({path})")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            sys.modules["pyfleet_writes"] = module
        _writes_module = module
    return _writes_module


_WAIT_APIS = ("epics.caput", "epics.caput_many", "epics.ca.put", "epics.PV.put")
_nested = threading.local()


def _perform(api: str, pairs: list[tuple[Any, Any]], original: Callable, args: tuple, kwargs: dict) -> Any:
    """An admitted write: performed and recorded truthfully by ``pyfleet_writes``. Calls the
    entry point makes inside (caput → PV.put) go straight through."""
    if getattr(_nested, "active", False):
        return original(*args, **kwargs)

    def call(wait: bool) -> Any:
        kw = dict(kwargs)
        # completion, so "ok" means the IOC processed the put (unless the code chose itself)
        if wait and api in _WAIT_APIS and len(args) <= 2 and "wait" not in kw:
            kw["wait"] = True
        _nested.active = True
        try:
            return original(*args, **kw)
        finally:
            _nested.active = False

    return _writes().perform(api, pairs, call)


def _wrap(original: Callable, api: str, extract: _Extract, dry_result: Any) -> Callable:
    # the check runs at call time even for coroutine functions (a refused write raises where it
    # is called); a recorded one still hands back an awaitable, as the real call would
    is_async = inspect.iscoroutinefunction(original)

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if getattr(_nested, "active", False):
            return original(*args, **kwargs)
        pairs = extract(args, kwargs)
        if _admit_write(api, pairs):
            return _perform(api, pairs, original, args, kwargs)
        return _resolved(dry_result) if is_async else dry_result

    guarded.__name__ = getattr(original, "__name__", "guarded")
    guarded.__doc__ = getattr(original, "__doc__", None)
    guarded.__pyfleet_guard__ = True  # type: ignore[attr-defined]
    return guarded


def _guard_pv_value_property(module: Any) -> None:
    """pyepics ``PV.value = x`` goes through a property; guard its setter under its own api name."""
    cls = getattr(module, "PV", None)
    prop = getattr(cls, "value", None) if cls is not None else None
    if not isinstance(prop, property) or prop.fset is None or getattr(prop.fset, "__pyfleet_guard__", False):
        return
    fset = prop.fset

    def guarded_set(self: Any, value: Any) -> None:
        if getattr(_nested, "active", False):
            fset(self, value)
            return
        pairs = [(getattr(self, "pvname", "?"), value)]
        if _admit_write("epics.PV.value", pairs):
            _perform("epics.PV.value", pairs, lambda *a, **k: fset(self, value), (), {})

    guarded_set.__pyfleet_guard__ = True  # type: ignore[attr-defined]
    cls.value = property(prop.fget, guarded_set, prop.fdel, prop.__doc__)


def _patch_module(name: str, module: Any) -> None:
    for dotted, api, extract, dry_result in _TARGETS.get(name, []):
        owner_path, _, attr = dotted.rpartition(".")
        owner = module
        for part in owner_path.split(".") if owner_path else []:
            owner = getattr(owner, part, None)
            if owner is None:
                break
        original = getattr(owner, attr, None) if owner is not None else None
        if original is None or getattr(original, "__pyfleet_guard__", False):
            continue
        try:
            setattr(owner, attr, _wrap(original, api, extract, dry_result))
        except (AttributeError, TypeError) as err:
            if GUARD.read_only:
                raise ImportError(f"pyfleet read-only guard cannot patch {name}.{dotted}; refusing the import") from err
    if name == "epics.pv":
        _guard_pv_value_property(module)


class _GuardLoader(importlib.abc.Loader):
    def __init__(self, inner: Any, name: str) -> None:
        self._inner = inner
        self._name = name

    def create_module(self, spec: Any) -> Any:
        return self._inner.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._inner.exec_module(module)
        _patch_module(self._name, module)

    def __getattr__(self, item: str) -> Any:
        return getattr(self._inner, item)


class _GuardFinder(importlib.abc.MetaPathFinder):
    pyfleet_guard = True

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in _TARGETS:
            return None
        for finder in sys.meta_path:
            if getattr(finder, "pyfleet_guard", False) or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _GuardLoader(spec.loader, fullname)
                return spec
        return None


def install_guard(mode: str = "read_only", dry_run: bool = False, lock: bool = False) -> GuardState:
    """Installs the import hook and patches loaded modules; ``lock`` pins read-only for good."""
    global _installed
    if lock and mode == "read_only":
        GUARD.locked_read_only = True
    GUARD.configure(mode, dry_run)
    if not _installed:
        sys.meta_path.insert(0, _GuardFinder())
        _installed = True
    for name in list(_TARGETS):
        module = sys.modules.get(name)
        if module is not None:
            _patch_module(name, module)
    return GUARD


# --------------------------------------------------------------- runtime helpers


def read_channel(pv: str, timeout: float = 5.0) -> Any:
    """Reads a channel through pyepics (``epics.caget``)."""
    import epics  # noqa: PLC0415

    return epics.caget(pv, timeout=timeout)


def write_channel(pv: str, value: Any, timeout: float = 5.0) -> Any:
    """Writes a channel; refused in read-only mode, recorded in a dry run."""
    if not _admit_write("write_channel", [(pv, value)]):
        return None
    import epics  # noqa: PLC0415

    return epics.caput(pv, value, wait=True, timeout=timeout)


def write_channels(values: dict[str, Any], timeout: float = 5.0) -> list[Any]:
    """Writes several channels in order (same rules as :func:`write_channel`)."""
    return [write_channel(pv, value, timeout) for pv, value in values.items()]


class Context:
    """Attribute access over the context data (``context.a.b``); also ``[]``, ``get``, ``keys``/``values``/``items``, ``to_dict``."""

    __slots__ = ("_data",)

    def __init__(self, data: Any) -> None:
        object.__setattr__(self, "_data", data if isinstance(data, dict) else {})

    @staticmethod
    def _wrap(value: Any) -> Any:
        if isinstance(value, dict):
            return Context(value)
        if isinstance(value, list):
            return [Context._wrap(v) for v in value]
        return value

    def __getattr__(self, name: str) -> Any:
        data = object.__getattribute__(self, "_data")
        if name in data:
            return Context._wrap(data[name])
        raise AttributeError(f"context has no key {name!r}; available: {sorted(data)}")

    def __getitem__(self, key: str) -> Any:
        return Context._wrap(self._data[key])

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Any:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("context is read-only")

    def get(self, key: str, default: Any = None) -> Any:
        return Context._wrap(self._data.get(key, default))

    def keys(self) -> Any:
        return self._data.keys()

    def values(self) -> Any:
        return [Context._wrap(v) for v in self._data.values()]

    def items(self) -> Any:
        # LLM-written code iterates the context like a dict; nested dicts stay attribute-accessible.
        return [(k, Context._wrap(v)) for k, v in self._data.items()]

    def to_dict(self) -> dict[str, Any]:
        return self._data

    def __repr__(self) -> str:
        return f"Context({sorted(self._data)})"


# ------------------------------------------------------------------ serialisation


def _float(x: float) -> Any:
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def _key(k: Any) -> str:
    if isinstance(k, str):
        return k
    if isinstance(k, (_dt.datetime, _dt.date, _dt.time)):
        return k.isoformat()
    return str(k)


def _to_json(value: Any, where: str, warnings: list[str], _seen: frozenset = frozenset()) -> Any:  # noqa: C901, PLR0911, PLR0912
    """JSON-safe copy of ``value``: NaN → null, ±inf → "Infinity"/"-Infinity", unknown → str()."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, complex):
        return {"real": _float(value.real), "imag": _float(value.imag)}
    if id(value) in _seen:
        warnings.append(f"{where}: circular reference replaced by null")
        return None
    seen = _seen | {id(value)}
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if pd is not None:
        if value is pd.NaT:
            return None
        if isinstance(value, pd.DataFrame):
            split = value.to_dict(orient="split")
            return {
                "columns": _to_json(list(split["columns"]), where, warnings, seen),
                "index": _to_json(list(split["index"]), where, warnings, seen),
                "data": _to_json(split["data"], where, warnings, seen),
            }
        if isinstance(value, pd.Series):
            return {_key(k): _to_json(v, f"{where}[{k!r}]", warnings, seen) for k, v in value.items()}
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
    if np is not None:
        if isinstance(value, np.ndarray):
            return _to_json(value.tolist(), where, warnings, seen)
        if isinstance(value, np.datetime64):
            return None if np.isnat(value) else str(value)
        if isinstance(value, np.generic):
            return _to_json(value.item(), where, warnings, seen)
    if isinstance(value, dict):
        return {_key(k): _to_json(v, f"{where}[{k!r}]", warnings, seen) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v, f"{where}[{i}]", warnings, seen) for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        items = [_to_json(v, where, warnings, seen) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return _float(float(value))
    if isinstance(value, enum.Enum):
        return _to_json(value.value, where, warnings, seen)
    if isinstance(value, (bytes, bytearray)):
        warnings.append(f"{where}: bytes stored as text (utf-8, undecodable bytes replaced)")
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, Context):
        return _to_json(value.to_dict(), where, warnings, seen)
    text = str(value)
    warnings.append(f"{where}: {type(value).__module__}.{type(value).__qualname__} is not JSON-serialisable; stored str()")
    return text


def serialise_results(results: Any, warnings: list[str]) -> dict[str, Any]:
    """``results`` as a JSON object; a non-dict value is stored under the key ``"value"``."""
    if not isinstance(results, dict):
        warnings.append(f"results is a {type(results).__name__}, not a dict; stored under 'value'")
        results = {"value": results}
    out = _to_json(results, "results", warnings)
    json.dumps(out, allow_nan=False)
    return out


# ----------------------------------------------------------------------- figures


def _prepare_matplotlib() -> None:
    os.environ["MPLBACKEND"] = "Agg"
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        # switching costs ~4 ms even to the same backend (a forked child of a warm parent pays it)
        if str(plt.get_backend()).lower() != "agg":
            plt.switch_backend("Agg")
        plt.close("all")


#: matplotlib versions (major.minor) whose savefig internals _quick_tight_save was checked against
#: (byte-identical PNGs: packages/execution/src/fork/figure-png.int.test.ts); any other version
#: saves with plain savefig.
_QUICK_SAVE_MPL = ("3.11",)


@contextlib.contextmanager
def _quick_tight_save() -> Iterator[None]:
    """Makes ``savefig(..., bbox_inches="tight")`` on Agg cheaper without changing a byte of the PNG.

    The tight box makes matplotlib lay the figure out twice: a first pass with the drawing calls
    disabled, only to measure the tight box, then the real draw on a second, smaller renderer.
    While the harness saves (never while user code runs), two wasted pieces are skipped:

    - the second pass measured every text again: matplotlib caches text metrics per renderer
      object. Agg's metrics depend on the text, the font and the dpi only (the dpi is in the
      cache's key), so Agg renderers of one dpi use the first one's cache.
    - the first pass took every bar (``Rectangle``) and line (``Line2D``) through its drawing code
      to draw nothing. Neither changes the layout when drawn (their extents come from their data
      and transforms), so while drawing is disabled they are not drawn. Exact types only (a
      subclass may do more in ``draw``), and not with an Agg filter or rasterization.

    Measured in a warm process: savefig's CPU 68 → 62 ms (the bench's histogram), 93 → 82 ms (two
    lines, legend and grid). Only for the versions in ``_QUICK_SAVE_MPL``.
    """
    mpl = sys.modules.get("matplotlib")
    version = ".".join(str(getattr(mpl, "__version__", "")).split(".")[:2])
    try:
        if version not in _QUICK_SAVE_MPL:
            raise ImportError(version)
        # imported here: matplotlib is loaded only when the code used it
        from matplotlib import lines, patches, text
        from matplotlib.backend_bases import RendererBase
        from matplotlib.backends.backend_agg import RendererAgg

        originals = [
            (text, "_get_text_metrics_function", text._get_text_metrics_function),
            (RendererBase, "_draw_disabled", RendererBase._draw_disabled),
            (patches.Patch, "draw", patches.Patch.__dict__["draw"]),
            (lines.Line2D, "draw", lines.Line2D.__dict__["draw"]),
        ]
    except (ImportError, AttributeError, KeyError):
        yield
        return
    metrics, draw_disabled, patch_draw, line_draw = (value for _, _, value in originals)
    first_renderer: dict[float, Any] = {}
    drawing_disabled = [0]

    def shared_metrics(renderer: Any, *args: Any) -> Any:
        if type(renderer) is RendererAgg:
            renderer = first_renderer.setdefault(renderer.dpi, renderer)
        return metrics(renderer, *args)

    @contextlib.contextmanager
    def counted_draw_disabled(renderer: Any) -> Iterator[None]:
        with draw_disabled(renderer):
            drawing_disabled[0] += 1
            try:
                yield
            finally:
                drawing_disabled[0] -= 1

    def skip(artist: Any, exact: type) -> bool:
        return bool(drawing_disabled[0]) and type(artist) is exact and artist.get_agg_filter() is None and not artist.get_rasterized()

    def quick_patch_draw(artist: Any, renderer: Any) -> Any:
        return None if skip(artist, patches.Rectangle) else patch_draw(artist, renderer)

    def quick_line_draw(artist: Any, renderer: Any) -> Any:
        return None if skip(artist, lines.Line2D) else line_draw(artist, renderer)

    replacements = [shared_metrics, counted_draw_disabled, quick_patch_draw, quick_line_draw]
    for (owner, name, _), replacement in zip(originals, replacements):
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, value in originals:
            setattr(owner, name, value)


def _collect_figures(warnings: list[str]) -> list[dict[str, str]]:
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return []
    figures = []
    nums = plt.get_fignums()
    with _quick_tight_save() if nums else contextlib.nullcontext():
        for n, num in enumerate(nums, start=1):
            buf = io.BytesIO()
            try:
                plt.figure(num).savefig(buf, format="png", dpi=100, bbox_inches="tight", facecolor="white")
            except Exception as err:  # a broken figure must not hide the others or the results
                warnings.append(f"figure {num} could not be saved: {type(err).__name__}: {err}")
                continue
            figures.append({"name": f"figure_{n:02d}.png", "data": base64.b64encode(buf.getvalue()).decode("ascii")})
    plt.close("all")
    return figures


# -------------------------------------------------------------------------- runner


def _is_writes_file(filename: str) -> bool:
    return filename == "<pyfleet-writes>" or os.path.basename(filename) == "pyfleet_writes.py"


def _strip_harness(te: traceback.TracebackException, depth: int = 0) -> None:
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename != _THIS_FILE and not _is_writes_file(f.filename)])
    if depth < 20:
        for chained in (te.__cause__, te.__context__):
            if chained is not None:
                _strip_harness(chained, depth + 1)


def _format_error(exc: BaseException) -> tuple[str, str, str]:
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    _strip_harness(te)
    if isinstance(exc, ReadOnlyViolation):
        ename = "PermissionError"
    else:
        ename = type(exc).__name__
    return ename, str(exc), "".join(te.format())


class _CappedStream:
    """Passes at most ``limit`` bytes to ``inner`` and counts the rest (kernel mode: keeps 20 MB of
    prints off the websocket)."""

    def __init__(self, inner: Any, limit: int) -> None:
        self._inner = inner
        self._left = limit
        self.dropped = 0

    def write(self, text: str) -> int:
        if self._left <= 0:
            self.dropped += len(text.encode("utf-8", "backslashreplace"))
            return len(text)
        data = text.encode("utf-8", "backslashreplace")
        if len(data) <= self._left:
            self._left -= len(data)
            self._inner.write(text)
            return len(text)
        head = data[: self._left].decode("utf-8", "ignore")
        self._inner.write(head)
        self.dropped += len(data) - len(head.encode("utf-8"))
        self._left = 0
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def run_code(
    source: str,
    context_data: Any,
    mode: str,
    dry_run: bool,
    max_output_bytes: int | None = None,
    write_policy: dict[str, Any] | None = None,
    describe_writes: bool = False,
) -> dict[str, Any]:
    """Runs ``source`` in a fresh namespace and returns the report (figures with data).

    ``max_output_bytes`` caps stdout and stderr each inside the process (kernel mode); the
    dropped byte counts are reported as ``output_dropped``. ``write_policy`` governs admitted
    writes and ``describe_writes`` describes a dry run's recorded PVs (see ``pyfleet_writes``).
    """
    started = time.perf_counter()
    capped: dict[str, _CappedStream] = {}
    if max_output_bytes is not None:
        capped = {"stdout": _CappedStream(sys.stdout, max_output_bytes), "stderr": _CappedStream(sys.stderr, max_output_bytes)}
        sys.stdout, sys.stderr = capped["stdout"], capped["stderr"]
    install_guard(mode, dry_run)
    writes = _writes()
    writes.configure(write_policy)
    _prepare_matplotlib()
    warnings: list[str] = []
    error: dict[str, Any] | None = None
    interrupted = False
    ns: dict[str, Any] = {
        "__name__": "__main__",
        "__builtins__": builtins,
        "__file__": CODE_FILENAME,
        "context": Context(context_data),
        "read_channel": read_channel,
        "write_channel": write_channel,
        "write_channels": write_channels,
    }
    lines = source.splitlines(keepends=True)
    linecache.cache[CODE_FILENAME] = (len(source), None, lines, CODE_FILENAME)
    try:
        exec(compile(source, CODE_FILENAME, "exec", dont_inherit=True), ns)  # noqa: S102  (running user code is the point)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            ename, evalue, tb = _format_error(exc)
            error = {"ename": ename, "evalue": evalue, "traceback": tb, "category": "code", "code": "RUNTIME_ERROR"}
    except BaseException as exc:  # noqa: BLE001  (every user failure becomes a report)
        ename, evalue, tb = _format_error(exc)
        if isinstance(exc, KeyboardInterrupt):
            interrupted = True
            error = {"ename": ename, "evalue": "execution interrupted", "traceback": tb, "category": "code", "code": "EXECUTION_TIMEOUT"}
        elif isinstance(exc, SyntaxError):
            error = {"ename": ename, "evalue": evalue, "traceback": tb, "category": "code", "code": "SYNTAX_ERROR"}
        elif isinstance(exc, ReadOnlyViolation) or GUARD.violations:
            error = {"ename": "PermissionError", "evalue": evalue, "traceback": tb, "category": "policy", "code": "WRITE_IN_READ_ONLY"}
        else:
            error = {"ename": ename, "evalue": evalue, "traceback": tb, "category": "code", "code": "RUNTIME_ERROR"}
    finally:
        # a late interrupt must not cut the report short; restored before returning
        quiet = threading.current_thread() is threading.main_thread()
        previous_sigint = signal.signal(signal.SIGINT, signal.SIG_IGN) if quiet else None
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001  (user code may have replaced or closed the stream)
                pass
        if capped:
            sys.stdout, sys.stderr = capped["stdout"]._inner, capped["stderr"]._inner
    if error is None and GUARD.violations:
        error = {
            "ename": "PermissionError",
            "evalue": f"{GUARD.violations[0]} (the code caught the error and went on)",
            "traceback": "",
            "category": "policy",
            "code": "WRITE_IN_READ_ONLY",
        }
    error = writes.report_error(error)
    write_targets = writes.describe_recorded(GUARD.writes) if describe_writes and GUARD.dry_run else []
    results = None
    if "results" in ns:
        try:
            results = serialise_results(ns["results"], warnings)
        except Exception as err:  # noqa: BLE001  (never crash on odd results)
            warnings.append(f"results could not be serialised: {type(err).__name__}: {err}")
    figures = _collect_figures(warnings)
    if previous_sigint is not None:
        signal.signal(signal.SIGINT, previous_sigint)
    return {
        "protocol": PROTOCOL,
        "status": "error" if error else "ok",
        "results": results,
        "error": error,
        "figures": figures,
        "recorded_writes": list(GUARD.writes),
        "performed_writes": list(writes.STATE.writes),
        "write_targets": write_targets,
        "warnings": warnings,
        "interrupted": interrupted,
        "duration_ms": (time.perf_counter() - started) * 1000.0,
        "output_dropped": {name: stream.dropped for name, stream in capped.items()},
    }


def preload() -> None:
    """Kernel mode: imports numpy and matplotlib (Agg) while the kernel waits in the pool, so a
    run does not pay for them. Missing packages are fine."""
    os.environ["MPLBACKEND"] = "Agg"
    for name in ("numpy", "matplotlib.pyplot"):
        try:
            __import__(name)
        except ImportError:
            pass


def kernel_run(job_b64: str) -> None:
    """Kernel mode: runs a job and publishes figures and the report as display_data."""
    from IPython.display import publish_display_data  # noqa: PLC0415

    job = json.loads(base64.b64decode(job_b64).decode("utf-8"))
    report = run_code(
        job["code"],
        job.get("context"),
        job.get("mode", "read_only"),
        bool(job.get("dry_run")),
        job.get("max_output_bytes"),
        job.get("write_policy"),
        bool(job.get("describe_writes")),
    )
    for fig in report["figures"]:
        publish_display_data({"image/png": fig.pop("data")}, metadata={"pyfleet": {"figure": fig["name"]}})
    publish_display_data({RESULT_MIME: json.loads(json.dumps(report, allow_nan=False))})


# ---------------------------------------------------------------------- script mode


def _parse_args(argv: list[str]) -> dict[str, Any]:
    opts: dict[str, Any] = {"context": None, "mode": "read_only", "dry_run": False, "report": "pyfleet_report.json"}
    valued = {"--code", "--context", "--mode", "--report", "--rlimit-as-mb", "--rlimit-cpu-s", "--rlimit-nofile", "--parent-pid", "--write-policy"}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--dry-run":
            opts["dry_run"] = True
        elif arg == "--describe-writes":
            opts["describe_writes"] = True
        elif arg in valued and i + 1 < len(argv):
            opts[arg[2:].replace("-", "_")] = argv[i + 1]
            i += 1
        else:
            raise ValueError(f"unknown or incomplete argument {arg!r}")
        i += 1
    if "code" not in opts:
        raise ValueError("--code is required")
    if opts["mode"] not in _MODES:
        raise ValueError(f"--mode must be one of {_MODES}")
    return opts


def _apply_limits(opts: dict[str, Any]) -> None:
    import resource  # noqa: PLC0415  (POSIX only; script mode runs on Linux)

    if opts.get("rlimit_as_mb"):
        size = int(opts["rlimit_as_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    if opts.get("rlimit_cpu_s"):
        secs = int(opts["rlimit_cpu_s"])
        resource.setrlimit(resource.RLIMIT_CPU, (secs, secs + 5))
    if opts.get("rlimit_nofile"):
        n = int(opts["rlimit_nofile"])
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


def _die_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel SIGKILL this process when the executor that started it dies.

    Code must not outlive its executor: a write run whose executor was killed is settled by a
    human (outcome_unknown), and code still running then could write after that decision.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # noqa: PLC0415  (script mode only)

    pr_set_pdeathsig = 1
    if ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) != 0:
        return
    # the parent may have died before the prctl: then nobody would send the signal
    if os.getppid() != parent_pid:
        os._exit(137)


def main(argv: list[str]) -> int:
    try:
        opts = _parse_args(argv)
    except ValueError as err:
        sys.stderr.write(f"pyfleet_harness: {err}\n")
        return 2
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8", errors="backslashreplace", line_buffering=True)
    with open(opts["code"], encoding="utf-8") as fh:
        source = fh.read()
    context_data = None
    if opts["context"]:
        with open(opts["context"], encoding="utf-8") as fh:
            context_data = json.load(fh)
    write_policy = None
    if opts.get("write_policy"):
        with open(opts["write_policy"], encoding="utf-8") as fh:
            write_policy = json.load(fh)
    if opts.get("parent_pid"):
        _die_with_parent(int(opts["parent_pid"]))
    sys.path[0] = os.getcwd()
    sys.argv = [CODE_FILENAME]
    _apply_limits(opts)
    report = run_code(source, context_data, opts["mode"], opts["dry_run"], None, write_policy, bool(opts.get("describe_writes")))
    tmp = f"{opts['report']}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(report, fh, allow_nan=False)
        os.replace(tmp, opts["report"])
    except OSError as err:
        sys.__stderr__.write(f"pyfleet_harness: cannot write the report: {err}\n")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
