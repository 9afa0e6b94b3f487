# writes: SR:MAG:Q1
# reads:
# mode: write_access
# rules:
from epics import PV
PV("SR:MAG:Q1").put(12.5)
