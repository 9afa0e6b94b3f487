# writes: FL:25
# reads:
# mode: write_access
# rules:
from epics import PV
class Base:
    def zero(self):
        self.pv.put(0)
class Quad(Base):
    def __init__(self):
        self.pv = PV("FL:25")
Quad().zero()
