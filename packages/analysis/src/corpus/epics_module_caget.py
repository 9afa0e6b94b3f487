# writes:
# reads: LI:GUN:HV
# mode: read_only
# rules:
import epics
v = epics.caget("LI:GUN:HV")
