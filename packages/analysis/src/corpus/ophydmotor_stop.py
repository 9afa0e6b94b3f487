# writes: BL:M4.STOP
# reads:
# mode: write_access
# rules:
import ophyd
m = ophyd.EpicsMotor('BL:M4', name='m4')
m.stop()
