# writes: XXX:m5.VAL
# reads:
# mode: write_access
# rules:
from epics import Motor
m = Motor('XXX:m5')
rc = m.move(0.25, relative=True, wait=True)
results = {'rc': rc}
