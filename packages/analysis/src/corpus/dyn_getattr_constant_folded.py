# writes: ?
# reads:
# mode: write_access
# rules:
import epics as e
op = "put"
getattr(e.ca, op + "")(chid, 1)
