# writes: BR:RF:VOLT
# reads:
# mode: write_access
# rules:
import epics
chid = epics.ca.create_channel("BR:RF:VOLT")
epics.ca.put(chid, 3.0)
