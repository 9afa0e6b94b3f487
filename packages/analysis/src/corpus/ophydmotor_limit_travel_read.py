# writes:
# reads: BL:M6.HLM
# mode: read_only
# rules:
from ophyd import EpicsMotor
m = EpicsMotor('BL:M6', name='m6')
results = {'hlm': m.high_limit_travel.get()}
