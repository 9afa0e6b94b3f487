# writes: FL:21
# reads:
# mode: write_access
# rules:
from epics import PV
put = PV("FL:21").put
put(5)
