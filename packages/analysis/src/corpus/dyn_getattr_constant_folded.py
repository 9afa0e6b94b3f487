# writes: DY:9
# reads:
# mode: write_access
# rules:
import epics as e
chid = e.ca.create_channel("DY:9")
op = "put"
getattr(e.ca, op + "")(chid, 1)
