# writes: DY:7
# reads:
# mode: write_access
# rules:
from epics import PV
p = PV("DY:7")
attr = input("attribute: ")
setattr(p, attr, 5)
