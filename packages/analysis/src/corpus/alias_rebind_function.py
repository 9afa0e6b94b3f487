# writes: AL:4
# reads:
# mode: write_access
# rules:
import epics
setter = epics.caput
setter("AL:4", 1)
