# writes: XXX:m1.TWR
# reads:
# mode: write_access
# rules:
from epics import Motor
m = Motor('XXX:m1')
m.tweak(direction='reverse')
