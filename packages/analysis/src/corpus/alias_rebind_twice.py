# writes: AL:5
# reads:
# mode: write_access
# rules:
from epics import caput
a = caput
b = a
b("AL:5", 1)
