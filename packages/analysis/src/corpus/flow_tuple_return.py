# writes: FL:17
# reads: FL:18
# mode: write_access
# rules:
from epics import PV
def pair():
    return PV("FL:17"), PV("FL:18")
sp, rb = pair()
sp.put(1)
print(rb.get())
