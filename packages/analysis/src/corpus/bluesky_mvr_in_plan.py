# writes: BL:M2.VAL
# reads:
# mode: write_access
# rules:
from bluesky import RunEngine
from ophyd import EpicsMotor, EpicsSignalRO
m1 = EpicsMotor('BL:M1', name='m1')
m2 = EpicsMotor('BL:M2', name='m2')
det = EpicsSignalRO('BL:DET', name='det')
RE = RunEngine({})
from bluesky.plan_stubs import mvr

def nudge(step):
    yield from mvr(m2, step)

RE(nudge(0.01))
