# writes: SR:MAG:Q5
# reads: SR:MAG:Q5
# mode: write_access
# rules:
from epics import PV
q5 = PV("SR:MAG:Q5")
q5.value += 0.1
