# writes:
# reads: XXX:m6.DMOV
# mode: read_only
# rules:
from epics import Motor
m = Motor('XXX:m6')
results = {'done': m.get_pv('DMOV').get()}
