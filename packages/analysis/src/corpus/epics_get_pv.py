# writes: BR:KICK
# reads:
# mode: write_access
# rules:
import epics
k = epics.pv.get_pv("BR:KICK")
k.put(1)
