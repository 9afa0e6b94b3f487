# writes: BL:M1.VAL, BL:M2.VAL
# reads: BL:DET, BL:M1.RBV, BL:M2.RBV
# mode: write_access
# rules:
from bluesky import RunEngine
from ophyd import EpicsMotor, EpicsSignalRO
m1 = EpicsMotor('BL:M1', name='m1')
m2 = EpicsMotor('BL:M2', name='m2')
det = EpicsSignalRO('BL:DET', name='det')
RE = RunEngine({})
import bluesky.plans as bp
RE(bp.rel_grid_scan([det], m1, -1, 1, 5, m2, -2, 2, 5, snake_axes=True))
