# writes: FL:11
# reads:
# mode: write_access
# rules:
from epics import PV
class Runner:
    def go(self, pv):
        pv.put(1)
Runner().go(PV("FL:11"))
