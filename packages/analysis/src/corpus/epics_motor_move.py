# writes: MTR:1.VAL
# reads: MTR:1.VAL
# mode: write_access
# rules:
from epics import Motor
m = Motor("MTR:1")
pos = m.get_position()
m.move(pos + 1.0)
