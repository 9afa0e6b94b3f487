# writes: FL:27
# reads:
# mode: write_access
# rules:
from epics import PV
class Holder:
    pass
def attach(obj):
    obj.target = PV("FL:27")
h = Holder()
attach(h)
h.target.put(1)
