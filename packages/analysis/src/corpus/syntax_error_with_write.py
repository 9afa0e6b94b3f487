# writes: SY:1
# reads:
# mode: write_access
# rules: syntax
from epics import caput
caput("SY:1", 1)
if True
    pass
