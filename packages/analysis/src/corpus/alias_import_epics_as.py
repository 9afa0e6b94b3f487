# writes: AL:2
# reads:
# mode: write_access
# rules:
import epics as ep
ep.caput("AL:2", 5)
