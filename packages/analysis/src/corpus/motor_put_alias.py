# writes: XXX:m5.VELO
# reads:
# mode: write_access
# rules:
from epics import Motor
m = Motor('XXX:m5')
m.put('slew_speed', 2.0, wait=True)
