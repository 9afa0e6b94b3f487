# writes: XXX:m3.SET, XXX:m3.VAL
# reads:
# mode: write_access
# rules:
from epics import Motor
m = Motor('XXX:m3')
m.set_position(0.0)
