# writes: FL:6, FL:7
# reads:
# mode: write_access
# rules:
from epics import PV
pvs = [PV("FL:6"), PV("FL:7")]
for p in pvs:
    p.put(0)
