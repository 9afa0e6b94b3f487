# writes: OP:MTR.VAL
# reads:
# mode: write_access
# rules:
import ophyd
m = ophyd.EpicsMotor("OP:MTR", name="m")
m.move(3.0)
