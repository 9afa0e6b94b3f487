# writes:
# reads: SR:BPM:02:X
# mode: read_only
# rules:
from caproto.sync.client import subscribe
sub = subscribe('SR:BPM:02:X')
sub.add_callback(print)
results = {}
