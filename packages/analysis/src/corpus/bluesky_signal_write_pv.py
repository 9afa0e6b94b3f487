# writes: BL:GAP:SP
# reads:
# mode: write_access
# rules:
import bluesky.plan_stubs as bps
from bluesky import RunEngine
from ophyd import EpicsSignal
gap = EpicsSignal('BL:GAP:RBV', write_pv='BL:GAP:SP', name='gap')
RunEngine({})(bps.mv(gap, 12.5))
