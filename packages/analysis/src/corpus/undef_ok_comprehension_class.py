# writes:
# reads: SR:BPM:01:X, SR:BPM:02:X
# mode: read_only
# rules:
from epics import caget
class Orbit:
    names = ['SR:BPM:01:X', 'SR:BPM:02:X']
    count = len(names)
xs = {n: caget(n) for n in Orbit.names}
results = {'n': Orbit.count, 'mean': sum(v for v in xs.values()) / len(xs)}
