# writes: FL:3
# reads:
# mode: write_access
# rules:
from epics import PV
def make():
    return PV("FL:3")
make().put(1)
