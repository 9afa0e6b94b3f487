# writes: STAR:PV
# reads: STAR:RB
# mode: write_access
# rules:
from epics import *
caput("STAR:PV", 1)
x = caget("STAR:RB")
