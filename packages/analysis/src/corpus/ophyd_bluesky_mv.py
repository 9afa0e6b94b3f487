# writes: OP:M3.VAL
# reads:
# mode: write_access
# rules:
import bluesky.plan_stubs as bps
from ophyd import EpicsMotor
m = EpicsMotor("OP:M3", name="m3")
def plan():
    yield from bps.mv(m, 1)
