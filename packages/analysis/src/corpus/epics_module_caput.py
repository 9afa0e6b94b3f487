# writes: LI:GUN:HV
# reads:
# mode: write_access
# rules:
import epics
epics.caput("LI:GUN:HV", 0)
