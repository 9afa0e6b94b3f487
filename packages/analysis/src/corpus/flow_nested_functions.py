# writes: FL:12
# reads:
# mode: write_access
# rules:
import epics
def outer():
    pv = epics.PV("FL:12")
    def inner():
        pv.put(3)
    inner()
outer()
