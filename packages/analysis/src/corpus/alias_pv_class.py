# writes: AL:3
# reads:
# mode: write_access
# rules:
from epics import PV as ProcessVariable
ProcessVariable("AL:3").put(1)
