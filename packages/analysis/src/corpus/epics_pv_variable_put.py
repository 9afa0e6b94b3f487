# writes: SR:MAG:Q2
# reads:
# mode: write_access
# rules:
import epics
q2 = epics.PV("SR:MAG:Q2")
q2.put(3.0, wait=True)
