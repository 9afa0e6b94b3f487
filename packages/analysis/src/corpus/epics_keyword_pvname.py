# writes: KW:PV
# reads:
# mode: write_access
# rules:
import epics
epics.caput(pvname="KW:PV", value=2)
