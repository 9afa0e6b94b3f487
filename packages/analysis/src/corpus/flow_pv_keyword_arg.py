# writes: FL:2
# reads:
# mode: write_access
# rules:
from epics import PV
def apply(value, pv=None):
    pv.put(value)
apply(1, pv=PV("FL:2"))
