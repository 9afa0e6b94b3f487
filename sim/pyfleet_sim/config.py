"""The PV database of the simulated ring, read from YAML (``sim/storage-ring.yml``) and checked.

Every error names the field and what is wrong with it, e.g.
``magnets[1].drvh: must be greater than drvl (0.0)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PV_NAME = re.compile(r"^[A-Za-z0-9_:\-\[\]<>;]+$")
INTERLOCK_STATES = ("DISABLED", "ENABLED")


class ConfigError(ValueError):
    """A wrong or missing value in the PV database file; the message names the field."""


@dataclass(frozen=True)
class Analog:
    """A read-only analog PV's display metadata."""

    pv: str
    units: str
    precision: int


@dataclass(frozen=True)
class BeamCurrent(Analog):
    initial: float
    topup_below: float
    noise: float


@dataclass(frozen=True)
class Lifetime(Analog):
    hours: float
    noise: float


@dataclass(frozen=True)
class Magnet:
    prefix: str
    units: str
    precision: int
    setpoint: float
    drvl: float
    drvh: float
    lag_seconds: float
    noise: float

    @property
    def sp(self) -> str:
        return f"{self.prefix}:CURRENT_SP"

    @property
    def rb(self) -> str:
        return f"{self.prefix}:CURRENT_RB"


@dataclass(frozen=True)
class Bpm:
    prefix: str
    units: str
    precision: int
    x: float
    y: float
    noise: float
    response: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Gauge(Analog):
    base: float
    per_mA: float
    noise: float


@dataclass(frozen=True)
class Interlock:
    pv: str
    initial: str


@dataclass(frozen=True)
class RingConfig:
    time_scale: float
    update_hz: float
    seed: int | None
    current: BeamCurrent
    lifetime: Lifetime
    magnets: tuple[Magnet, ...]
    bpms: tuple[Bpm, ...]
    gauges: tuple[Gauge, ...]
    interlock: Interlock

    def writable_pvs(self) -> list[str]:
        """The PVs a client may put to (each has put counters)."""
        return [m.sp for m in self.magnets] + [self.interlock.pv]


class _Reader:
    """Typed access to one mapping of the YAML, with the path for messages."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: must be a mapping, not {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.path = path
        self.used: set[str] = set()

    def _get(self, key: str, default: object) -> object:
        self.used.add(key)
        if key in self.data and self.data[key] is not None:
            return self.data[key]
        if default is _REQUIRED:
            raise ConfigError(f"{self.where(key)}: is required")
        return default

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def number(self, key: str, default: object = None, *, low: float | None = None, positive: bool = False) -> float:
        value = self._get(key, _REQUIRED if default is None else default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{self.where(key)}: must be a number, not {value!r}")
        if positive and value <= 0:
            raise ConfigError(f"{self.where(key)}: must be greater than 0, not {value}")
        if low is not None and value < low:
            raise ConfigError(f"{self.where(key)}: must be at least {low}, not {value}")
        return float(value)

    def integer(self, key: str, default: int | None = None, *, low: int = 0, high: int = 17) -> int:
        value = self._get(key, _REQUIRED if default is None else default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{self.where(key)}: must be an integer from {low} to {high}, not {value!r}")
        return value

    def text(self, key: str, default: str | None = None) -> str:
        value = self._get(key, _REQUIRED if default is None else default)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{self.where(key)}: must be a non-empty string, not {value!r}")
        return value

    def pv(self, key: str) -> str:
        name = self.text(key)
        if not PV_NAME.match(name):
            raise ConfigError(f"{self.where(key)}: {name!r} is not a PV name (letters, digits, _ : - [ ] < > ;)")
        return name

    def child(self, key: str) -> _Reader:
        return _Reader(self._get(key, _REQUIRED), self.where(key))

    def items(self, key: str) -> list[_Reader]:
        value = self._get(key, [])
        if not isinstance(value, list):
            raise ConfigError(f"{self.where(key)}: must be a list")
        return [_Reader(v, f"{self.where(key)}[{i}]") for i, v in enumerate(value)]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ConfigError(f"{self.where(unknown[0])}: unknown key (known: {', '.join(sorted(self.used))})")


_REQUIRED = object()


def _analog(r: _Reader, units: str, precision: int) -> dict[str, Any]:
    return {"pv": r.pv("pv"), "units": r.text("units", units), "precision": r.integer("precision", precision)}


def _magnet(r: _Reader) -> Magnet:
    m = Magnet(
        prefix=r.pv("prefix"),
        units=r.text("units", "A"),
        precision=r.integer("precision", 3),
        setpoint=r.number("setpoint"),
        drvl=r.number("drvl"),
        drvh=r.number("drvh"),
        lag_seconds=r.number("lag_seconds", 0.5, low=0.0),
        noise=r.number("noise", 0.0, low=0.0),
    )
    if m.drvh <= m.drvl:
        raise ConfigError(f"{r.where('drvh')}: must be greater than drvl ({m.drvl})")
    if not m.drvl <= m.setpoint <= m.drvh:
        raise ConfigError(f"{r.where('setpoint')}: {m.setpoint} is outside drvl..drvh ({m.drvl} .. {m.drvh})")
    r.done()
    return m


def _bpm(r: _Reader, magnets: set[str]) -> Bpm:
    response_reader = _Reader(r._get("response", {}), r.where("response"))
    response = {}
    for name in response_reader.data:
        if name not in magnets:
            raise ConfigError(
                f"{response_reader.where(name)}: no magnet with prefix {name} (known: {', '.join(sorted(magnets))})"
            )
        response[name] = response_reader.number(name)
    bpm = Bpm(
        prefix=r.pv("prefix"),
        units=r.text("units", "mm"),
        precision=r.integer("precision", 4),
        x=r.number("x", 0.0),
        y=r.number("y", 0.0),
        noise=r.number("noise", 0.0, low=0.0),
        response=response,
    )
    r.done()
    return bpm


def parse_config(data: object) -> RingConfig:
    """Checks the parsed YAML and builds the ring's description.

    :raises ConfigError: naming the first wrong field.
    """
    root = _Reader(data, "")
    beam = root.child("beam")
    cur = beam.child("current")
    current = BeamCurrent(
        **_analog(cur, "mA", 3),
        initial=cur.number("initial", positive=True),
        topup_below=cur.number("topup_below", low=0.0),
        noise=cur.number("noise", 0.0, low=0.0),
    )
    if current.topup_below > current.initial:
        raise ConfigError(f"{cur.where('topup_below')}: must not exceed initial ({current.initial})")
    cur.done()
    lt = beam.child("lifetime")
    lifetime = Lifetime(
        **_analog(lt, "h", 2), hours=lt.number("hours", positive=True), noise=lt.number("noise", 0.0, low=0.0)
    )
    lt.done()
    beam.done()
    magnets = tuple(_magnet(m) for m in root.items("magnets"))
    prefixes = {m.prefix for m in magnets}
    bpms = tuple(_bpm(b, prefixes) for b in root.items("bpms"))
    gauges = []
    for g in root.items("vacuum"):
        gauges.append(
            Gauge(
                **_analog(g, "Torr", 3),
                base=g.number("base", positive=True),
                per_mA=g.number("per_mA", 0.0, low=0.0),
                noise=g.number("noise", 0.0, low=0.0),
            )
        )
        g.done()
    il = root.child("interlock")
    interlock = Interlock(pv=il.pv("pv"), initial=il.text("initial", "ENABLED"))
    if interlock.initial not in INTERLOCK_STATES:
        raise ConfigError(
            f"{il.where('initial')}: must be one of {', '.join(INTERLOCK_STATES)}, not {interlock.initial!r}"
        )
    il.done()
    seed_value = root._get("seed", None)
    if seed_value is not None and (isinstance(seed_value, bool) or not isinstance(seed_value, int)):
        raise ConfigError(f"seed: must be an integer, not {seed_value!r}")
    config = RingConfig(
        time_scale=root.number("time_scale", 1.0, positive=True),
        update_hz=root.number("update_hz", 5.0, positive=True),
        seed=seed_value,
        current=current,
        lifetime=lifetime,
        magnets=magnets,
        bpms=bpms,
        gauges=tuple(gauges),
        interlock=interlock,
    )
    root.done()
    _check_unique(config)
    return config


def _check_unique(config: RingConfig) -> None:
    seen: set[str] = set()
    names = [config.current.pv, config.lifetime.pv, config.interlock.pv]
    for m in config.magnets:
        names += [m.sp, m.rb]
    for b in config.bpms:
        names += [f"{b.prefix}:X", f"{b.prefix}:Y"]
    names += [g.pv for g in config.gauges]
    for name in names:
        if name in seen:
            raise ConfigError(f"PV {name} is defined twice")
        seen.add(name)


def load_config(path: str | Path) -> RingConfig:
    """Reads and checks a PV database file.

    :raises ConfigError: for a missing file, bad YAML or a wrong field (the message says which).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
