# writes: FL:14
# reads:
# mode: write_access
# rules:
from epics import PV
def zero_all(*pvs):
    for p in pvs:
        p.put(0)
zero_all(PV("FL:14"))
