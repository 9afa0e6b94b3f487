# writes: BL:M5.VAL
# reads:
# mode: write_access
# rules:
from ophyd import EpicsMotor
from ophyd.status import wait
m = EpicsMotor('BL:M5', name='m5')
st = m.set(4.0)
wait(st, timeout=30)
