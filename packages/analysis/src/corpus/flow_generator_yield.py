# writes: G:1, G:2
# reads:
# mode: write_access
# rules:
from epics import PV
def magnets():
    yield PV("G:1")
    yield PV("G:2")
for m in magnets():
    m.put(0)
