# writes:
# reads: BL:DET
# mode: read_only
# rules:
from bluesky import RunEngine
from ophyd import EpicsMotor, EpicsSignalRO
m1 = EpicsMotor('BL:M1', name='m1')
m2 = EpicsMotor('BL:M2', name='m2')
det = EpicsSignalRO('BL:DET', name='det')
RE = RunEngine({})
import bluesky.plan_stubs as bps

def peek():
    value = yield from bps.rd(det)
    return value

RE(peek())
