# writes: OP:M2.VAL
# reads:
# mode: write_access
# rules:
from ophyd import EpicsMotor
m = EpicsMotor("OP:M2", name="m2")
m.user_setpoint.put(2.0)
