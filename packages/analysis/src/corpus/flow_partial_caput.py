# writes: ?
# reads:
# mode: write_access
# rules:
from functools import partial
from epics import caput
zero = partial(caput, "P:1")
zero(0)
