# writes: SR:RF:PHASE
# reads:
# mode: write_access
# rules:
from epics import caput
PREFIX = "SR:RF"
caput(PREFIX + ":PHASE", 12)
