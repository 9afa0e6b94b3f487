# writes:
# reads: SR:BPM:01:X, SR:BPM:02:X, SR:BPM:03:X, SR:BPM:04:X
# mode: read_only
# rules:
from epics import caget_many
names = ['SR:BPM:01:X', 'SR:BPM:02:X', 'SR:BPM:03:X', 'SR:BPM:04:X']
values = caget_many(names, timeout=2.0)
results = {'orbit_x_mm': dict(zip(names, values))}
