# writes: DS:1
# reads:
# mode: write_access
# rules:
from epics import PV
p = PV("DS:1")
p.__setattr__("value", 3)
