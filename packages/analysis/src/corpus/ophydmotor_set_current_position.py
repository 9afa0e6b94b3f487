# writes: BL:M4.SET, BL:M4.VAL
# reads:
# mode: write_access
# rules:
from ophyd import EpicsMotor
m = EpicsMotor('BL:M4', name='m4')
m.set_current_position(0.0)
