# writes: M:1, M:2
# reads:
# mode: write_access
# rules:
from epics import PV
pvs = list(map(PV, ["M:1", "M:2"]))
for p in pvs:
    p.put(0)
