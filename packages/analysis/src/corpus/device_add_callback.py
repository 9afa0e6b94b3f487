# writes:
# reads: XX:m1.RBV
# mode: read_only
# rules:
from epics import Device
dev = Device('XX:m1', delim='.')
dev.add_callback('RBV', lambda **kw: print(kw['value']))
