# writes: FL:13
# reads:
# mode: write_access
# rules:
import epics
setter = lambda v: epics.caput("FL:13", v)
setter(1)
