# writes:
# reads: SR:BPM:01:X
# mode: read_only
# rules:
from epics import caget

def read_x():
    return caget(BPM)

BPM = 'SR:BPM:01:X'
results = {'x': read_x()}
