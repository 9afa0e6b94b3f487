# writes:
# reads: SR:DCCT:CURRENT
# mode: read_only
# rules:
from epics import caget
current = caget("SR:DCCT:CURRENT")
print(current)
