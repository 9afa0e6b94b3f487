# writes:
# reads: SR:DCCT:CURRENT
# mode: read_only
# rules:
import time
from epics import PV
seen = []
def on_change(pvname=None, value=None, **kw):
    seen.append(value)
PV('SR:DCCT:CURRENT', callback=on_change)
time.sleep(2)
results = {'n': len(seen)}
