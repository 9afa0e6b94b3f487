# writes: AL:8
# reads:
# mode: write_access
# rules:
import epics
put_fn, get_fn = epics.caput, epics.caget
put_fn("AL:8", 1)
