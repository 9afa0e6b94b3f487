# writes: AL:7
# reads:
# mode: write_access
# rules:
import epics.ca as eca
import epics.pv
epics.pv.PV("AL:7").put(1)
