# writes: FL:22
# reads:
# mode: write_access
# rules:
from epics import PV
class Ctl:
    target = PV("FL:22")
    def zero(self):
        self.target.put(0)
Ctl().zero()
