# writes: BL:M1.VAL
# reads: BL:DET, BL:M1.RBV
# mode: write_access
# rules:
from bluesky import RunEngine
from ophyd import EpicsMotor, EpicsSignalRO
m1 = EpicsMotor('BL:M1', name='m1')
m2 = EpicsMotor('BL:M2', name='m2')
det = EpicsSignalRO('BL:DET', name='det')
RE = RunEngine({})
import bluesky.plans as bp
RE(bp.rel_scan([det], m1, -0.5, 0.5, 5))
