# writes: FL:1
# reads:
# mode: write_access
# rules:
from epics import PV
def apply(pv, value):
    pv.put(value)
apply(PV("FL:1"), 4)
