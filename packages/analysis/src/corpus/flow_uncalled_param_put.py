# writes: *
# reads:
# mode: write_access
# rules: dynamic-control-access
import epics
def zero_all(pvs):
    for p in pvs:
        p.put(0)
