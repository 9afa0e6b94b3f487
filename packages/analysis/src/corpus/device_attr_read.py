# writes:
# reads: XX:m1.RBV
# mode: read_only
# rules:
import epics
d = epics.Device('XX:m1', delim='.')
results = {'rbv': d.RBV}
