# writes:
# reads: SR:BPM:01:Y, SR:BPM:02:Y
# mode: read_only
# rules:
import caproto.threading.pyepics_compat as epics
ys = epics.caget_many(['SR:BPM:01:Y', 'SR:BPM:02:Y'])
results = {'y': ys}
