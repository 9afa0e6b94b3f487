# writes: SR:BPM1:X
# reads:
# mode: write_access
# rules:
from epics import caput
caput("SR:BPM1:X", 1.5)
