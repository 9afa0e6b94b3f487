# writes: SR:MAG:Q3
# reads:
# mode: write_access
# rules:
from epics import PV
q3 = PV("SR:MAG:Q3")
q3.value = 7
