# writes: ?
# reads:
# mode: write_access
# rules:
from epics import caput
for i in range(3):
    caput(f"SR:C{i}:HCM", 0.0)
