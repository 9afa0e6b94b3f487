# writes: XXX:m4.STOP
# reads:
# mode: write_access
# rules:
from epics import Motor
Motor('XXX:m4').stop()
