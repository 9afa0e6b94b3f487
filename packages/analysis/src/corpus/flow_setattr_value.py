# writes: FL:23
# reads:
# mode: write_access
# rules:
from epics import PV
p = PV("FL:23")
setattr(p, "value", 3)
