# writes: FL:4
# reads:
# mode: write_access
# rules:
import epics
def connect(name):
    return epics.PV(name)
p = connect("FL:4")
p.value = 2
