# writes: XXX:m1.TWV
# reads:
# mode: write_access
# rules:
from epics import Motor
m = Motor('XXX:m1')
m.tweak_val = 0.05
