# writes: FL:16
# reads:
# mode: write_access
# rules:
from epics import PV
if (p := PV("FL:16")) is not None:
    p.put(1)
