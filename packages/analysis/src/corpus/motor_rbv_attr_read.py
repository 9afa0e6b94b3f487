# writes:
# reads: XXX:m1.RBV
# mode: read_only
# rules:
from epics import Motor
m = Motor('XXX:m1')
results = {'rbv': m.RBV}
