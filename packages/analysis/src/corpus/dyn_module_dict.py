# writes: *
# reads:
# mode: write_access
# rules: dynamic-control-access
import epics
epics.__dict__["ca" + "put"]("MD:1", 1)
