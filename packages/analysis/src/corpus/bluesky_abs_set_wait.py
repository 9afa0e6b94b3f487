# writes: BL:M1.VAL
# reads:
# mode: write_access
# rules:
from bluesky import RunEngine
from ophyd import EpicsMotor, EpicsSignalRO
m1 = EpicsMotor('BL:M1', name='m1')
m2 = EpicsMotor('BL:M2', name='m2')
det = EpicsSignalRO('BL:DET', name='det')
RE = RunEngine({})
import bluesky.plan_stubs as bps

def go():
    yield from bps.abs_set(m1, 2.0, group='a')
    yield from bps.wait(group='a')

RE(go())
