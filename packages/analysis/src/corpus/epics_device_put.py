# writes: XX:VAL
# reads:
# mode: write_access
# rules:
from epics import Device
d = Device("XX:")
d.put("VAL", 1)
