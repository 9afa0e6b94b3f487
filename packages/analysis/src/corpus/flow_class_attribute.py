# writes: FL:10
# reads:
# mode: write_access
# rules:
from epics import PV
class Magnet:
    def __init__(self, name):
        self.pv = PV(name)
    def set(self, value):
        self.pv.put(value)
m = Magnet("FL:10")
m.set(1)
