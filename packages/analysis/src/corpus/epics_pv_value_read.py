# writes:
# reads: SR:MAG:Q3
# mode: read_only
# rules:
from epics import PV
q3 = PV("SR:MAG:Q3")
print(q3.value)
