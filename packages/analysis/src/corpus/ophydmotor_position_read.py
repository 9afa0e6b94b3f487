# writes:
# reads: BL:M3.RBV
# mode: read_only
# rules:
from ophyd import EpicsMotor
m = EpicsMotor('BL:M3', name='m3')
m.wait_for_connection()
results = {'pos': m.position}
