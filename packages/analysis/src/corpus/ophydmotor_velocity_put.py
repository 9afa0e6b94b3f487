# writes: BL:M3.VELO
# reads:
# mode: write_access
# rules:
from ophyd import EpicsMotor
m = EpicsMotor('BL:M3', name='m3')
m.velocity.put(1.5)
