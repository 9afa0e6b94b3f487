# writes:
# reads: XXX:m4.HLS, XXX:m4.LLS, XXX:m4.LVIO
# mode: read_only
# rules:
from epics import Motor
m = Motor('XXX:m4')
m.check_limits()
results = {'ok': True}
