# writes: BL:SHUTTER:OPEN
# reads:
# mode: write_access
# rules:
from ophyd import EpicsSignal
shutter = EpicsSignal('BL:SHUTTER:STATUS', write_pv='BL:SHUTTER:OPEN', name='shutter')
shutter.put(1)
