# writes: TRY:PV
# reads:
# mode: write_access
# rules:
from epics import caput
try:
    caput("TRY:PV", 1, wait=True, timeout=2)
except Exception as err:
    print(err)
