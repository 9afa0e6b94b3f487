# writes: A:PATH
# reads:
# mode: write_access
# rules:
from epics.pv import PV
PV("A:PATH").put(1)
