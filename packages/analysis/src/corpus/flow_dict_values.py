# writes: FL:9
# reads:
# mode: write_access
# rules:
from epics import PV
magnets = {"q1": PV("FL:9")}
for pv in magnets.values():
    pv.put(0)
