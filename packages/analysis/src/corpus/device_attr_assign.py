# writes: XX:m1.VAL
# reads:
# mode: write_access
# rules:
import epics
d = epics.Device('XX:m1', delim='.')
d.VAL = 2.0
