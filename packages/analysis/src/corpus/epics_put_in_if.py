# writes: COND:PV
# reads: COND:RB
# mode: write_access
# rules:
import epics
if epics.caget("COND:RB") > 3:
    epics.caput("COND:PV", 0)
