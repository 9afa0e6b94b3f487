# writes:
# reads: BR:RF:VOLT
# mode: read_only
# rules:
import epics.ca
chid = epics.ca.create_channel("BR:RF:VOLT")
val = epics.ca.get(chid)
