# writes:
# reads: SR:DCCT:CURRENT
# mode: read_only
# rules: undefined-name
from epics import caget
current = caget('SR:DCCT:CURRENT')
results = {'current': curent}
