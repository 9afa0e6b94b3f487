# writes: FL:26
# reads:
# mode: write_access
# rules:
import epics
class Base:
    def __init__(self, name):
        self.sp = epics.PV(name)
class Corrector(Base):
    def kick(self, v):
        self.sp.put(v)
Corrector("FL:26").kick(1)
