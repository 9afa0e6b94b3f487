# writes: FL:19, FL:20
# reads:
# mode: write_access
# rules:
from epics import PV
use_a = True
p = PV("FL:19") if use_a else PV("FL:20")
p.put(1)
