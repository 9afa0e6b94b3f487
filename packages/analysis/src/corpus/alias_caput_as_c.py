# writes: AL:1
# reads:
# mode: write_access
# rules:
from epics import caput as c
c("AL:1", 5)
