# writes: SR:RF:FREQ
# reads:
# mode: write_access
# rules:
from epics import caput
RF_FREQ = "SR:RF:FREQ"
caput(RF_FREQ, 499.65e6)
