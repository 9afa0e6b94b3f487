# writes:
# reads: BL:SHUTTER:STATUS
# mode: read_only
# rules:
from ophyd import EpicsSignal
shutter = EpicsSignal('BL:SHUTTER:STATUS', write_pv='BL:SHUTTER:OPEN', name='shutter')
results = {'open': shutter.get()}
