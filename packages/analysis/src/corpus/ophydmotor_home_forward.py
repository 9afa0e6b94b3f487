# writes: BL:M5.HOMF
# reads:
# mode: write_access
# rules:
from ophyd import EpicsMotor
m = EpicsMotor('BL:M5', name='m5')
m.home('forward')
