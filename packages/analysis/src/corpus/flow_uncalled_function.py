# writes: FL:24
# reads:
# mode: write_access
# rules:
from epics import caput
def never_called():
    caput("FL:24", 1)
