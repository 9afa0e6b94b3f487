# writes: BL:M2.VAL
# reads: BL:DET, BL:M2.RBV
# mode: write_access
# rules:
from bluesky import RunEngine
from ophyd import EpicsMotor, EpicsSignalRO
m1 = EpicsMotor('BL:M1', name='m1')
m2 = EpicsMotor('BL:M2', name='m2')
det = EpicsSignalRO('BL:DET', name='det')
RE = RunEngine({})
import bluesky.plans as bp
RE(bp.list_scan([det], m2, [0.1, 0.2, 0.4]))
