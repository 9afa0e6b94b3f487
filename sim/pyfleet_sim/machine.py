"""The simulated storage ring: its PV database and the model that moves its values.

- Beam current decays with the lifetime (simulated time runs ``time_scale`` times faster) and is
  topped up to ``initial`` when it falls below ``topup_below``; every reading carries noise.
- Lifetime shortens when the vacuum pressure rises above its base.
- Magnet readbacks follow their setpoints with a first-order lag (``lag_seconds``).
- BPM positions move with the magnets' readbacks through a small response matrix.
- The vacuum pressure rises with the beam current.
- While the interlock is DISABLED every magnet put is refused (and counted as refused).
"""

from __future__ import annotations

import asyncio
import math
import random
from typing import Any

from caproto import ChannelData

from .channels import CountedDouble, CountedEnum, PutLog, ReadOnlyDouble, ReadOnlyInteger, ReadOnlyString
from .config import INTERLOCK_STATES, RingConfig

COUNTER_PREFIX = "SIM:PUTS:"
REFUSED_PREFIX = "SIM:PUTS_REFUSED:"
TOTAL_PV = "SIM:PUTS:TOTAL"


class Ring:
    """Holds the channels of one simulated ring and advances its model."""

    def __init__(self, config: RingConfig, log: PutLog) -> None:
        self.config = config
        self.log = log
        self.rng = random.Random(config.seed)
        self.pvdb: dict[str, ChannelData] = {}
        self.beam_mA = config.current.initial
        # readbacks without their noise, per magnet prefix
        self.true_rb = {m.prefix: m.setpoint for m in config.magnets}
        self.total = ReadOnlyInteger(value=0)
        self._build()

    # --- PV database -----------------------------------------------------------------------
    def _analog(self, name: str, value: float, units: str, precision: int) -> ReadOnlyDouble:
        channel = ReadOnlyDouble(value=value, units=units, precision=precision)
        self.pvdb[name] = channel
        return channel

    def _field(self, name: str, value: float | str) -> None:
        if isinstance(value, str):
            self.pvdb[name] = ReadOnlyString(value=value)
        else:
            self.pvdb[name] = ReadOnlyDouble(value=value)

    def _refuse(self, pvname: str, value: Any) -> str | None:
        if pvname in self.setpoints and self.interlock.value != "ENABLED":
            return f"interlock {self.config.interlock.pv} is DISABLED: magnet puts are refused"
        return None

    def _counted(self, name: str, channel: CountedDouble | CountedEnum) -> None:
        self.pvdb[name] = channel
        self.pvdb[COUNTER_PREFIX + name] = channel.accepted
        self.pvdb[REFUSED_PREFIX + name] = channel.refused

    def _build(self) -> None:
        c = self.config
        self.current = self._analog(c.current.pv, c.current.initial, c.current.units, c.current.precision)
        self.lifetime = self._analog(c.lifetime.pv, c.lifetime.hours, c.lifetime.units, c.lifetime.precision)
        self.setpoints: dict[str, CountedDouble] = {}
        self.readbacks: dict[str, ReadOnlyDouble] = {}
        for m in c.magnets:
            sp = CountedDouble(
                m.sp,
                self.log,
                self._refuse,
                self.total,
                value=m.setpoint,
                units=m.units,
                precision=m.precision,
                lower_ctrl_limit=m.drvl,
                upper_ctrl_limit=m.drvh,
                lower_disp_limit=m.drvl,
                upper_disp_limit=m.drvh,
            )
            self._counted(m.sp, sp)
            self.setpoints[m.sp] = sp
            # the fields a client (and pyfleet's write manifest) may read by name
            for field, value in (
                ("DRVL", m.drvl),
                ("DRVH", m.drvh),
                ("LOPR", m.drvl),
                ("HOPR", m.drvh),
                ("EGU", m.units),
                ("PREC", float(m.precision)),
            ):
                self._field(f"{m.sp}.{field}", value)
            self.readbacks[m.prefix] = self._analog(m.rb, m.setpoint, m.units, m.precision)
        self.bpm_x: dict[str, ReadOnlyDouble] = {}
        self.bpm_y: dict[str, ReadOnlyDouble] = {}
        for b in c.bpms:
            self.bpm_x[b.prefix] = self._analog(f"{b.prefix}:X", b.x, b.units, b.precision)
            self.bpm_y[b.prefix] = self._analog(f"{b.prefix}:Y", b.y, b.units, b.precision)
        self.gauges = {g.pv: self._analog(g.pv, g.base, g.units, g.precision) for g in c.gauges}
        self.interlock = CountedEnum(
            c.interlock.pv,
            self.log,
            self._refuse,
            self.total,
            value=c.interlock.initial,
            enum_strings=list(INTERLOCK_STATES),
        )
        self._counted(c.interlock.pv, self.interlock)
        self.pvdb[TOTAL_PV] = self.total

    # --- model -----------------------------------------------------------------------------
    def _noisy(self, value: float, sigma: float) -> float:
        return value + self.rng.gauss(0.0, sigma) if sigma > 0 else value

    async def step(self, dt: float) -> None:
        """Advances the model by `dt` real seconds and publishes the new readings."""
        c = self.config
        sim_dt = dt * c.time_scale
        pressure_ratio = 1.0
        for g in c.gauges:
            pressure = (g.base + g.per_mA * self.beam_mA) * (1.0 + self.rng.gauss(0.0, g.noise))
            await self.gauges[g.pv].write(max(pressure, 0.0))
            pressure_ratio = max(pressure_ratio, pressure / (g.base + g.per_mA * c.current.initial))
        tau_h = c.lifetime.hours / pressure_ratio
        self.beam_mA *= math.exp(-sim_dt / (tau_h * 3600.0))
        if self.beam_mA < c.current.topup_below:
            self.beam_mA = c.current.initial
        await self.current.write(max(self._noisy(self.beam_mA, c.current.noise), 0.0))
        await self.lifetime.write(max(self._noisy(tau_h, c.lifetime.noise), 0.0))
        deltas: dict[str, float] = {}
        for m in c.magnets:
            rb = self.readbacks[m.prefix]
            target = float(self.setpoints[m.sp].value)
            previous = self.true_rb[m.prefix]
            follow = 1.0 if m.lag_seconds == 0 else 1.0 - math.exp(-dt / m.lag_seconds)
            true_value = previous + (target - previous) * follow
            self.true_rb[m.prefix] = true_value
            deltas[m.prefix] = true_value - m.setpoint
            await rb.write(self._noisy(true_value, m.noise))
        for b in c.bpms:
            shift = sum(k * deltas.get(name, 0.0) for name, k in b.response.items())
            await self.bpm_x[b.prefix].write(self._noisy(b.x + shift, b.noise))
            await self.bpm_y[b.prefix].write(self._noisy(b.y - 0.5 * shift, b.noise))

    async def run(self) -> None:
        """Steps the model forever at `update_hz`."""
        period = 1.0 / self.config.update_hz
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(period)
            now = loop.time()
            await self.step(now - last)
            last = now


__all__ = ["COUNTER_PREFIX", "REFUSED_PREFIX", "TOTAL_PV", "Ring"]
