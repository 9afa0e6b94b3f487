# writes:
# reads: SR:MAG:Q4
# mode: read_only
# rules:
from epics import PV
q4 = PV("SR:MAG:Q4")
x = q4.get()
