# writes: A, B
# reads:
# mode: write_access
# rules:
from epics import PV
names = ["A", "B"]
pvs = [PV(n) for n in names]
for p in pvs:
    p.put(1)
