# writes:
# reads: XXX:m3.RBV
# mode: read_only
# rules:
from epics import Motor
m = Motor('XXX:m3')
results = {'actual': m.get_position(readback=True)}
