# writes: XXX:m2.VAL
# reads:
# mode: write_access
# rules:
from epics import Motor
m = Motor('XXX:m2.VAL')
m.drive = 12.5
