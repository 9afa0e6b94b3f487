# writes: *
# reads:
# mode: write_access
# rules: dynamic-control-access
from epics import PV
p = PV("DY:2")
method = input()
getattr(p, method)(1)
