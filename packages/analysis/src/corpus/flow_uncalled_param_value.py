# writes: *
# reads:
# mode: write_access
# rules: dynamic-control-access
from epics import PV
def set_value(pv, v):
    pv.value = v
