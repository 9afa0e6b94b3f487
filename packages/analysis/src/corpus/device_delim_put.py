# writes: XX:m1.VAL
# reads:
# mode: write_access
# rules:
from epics import Device
d = Device('XX:m1', delim='.', attrs=('VAL', 'RBV', 'DESC'))
d.put('VAL', 1.5)
