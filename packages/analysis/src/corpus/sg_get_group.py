# writes:
# reads: SR:BPM:01:X, SR:BPM:02:X
# mode: read_only
# rules:
import epics.ca as ca
gid = ca.sg_create()
chans = [ca.create_channel(n, connect=True) for n in ('SR:BPM:01:X', 'SR:BPM:02:X')]
vals = [ca.sg_get(gid, ch) for ch in chans]
ca.sg_block(gid)
results = {'x': [float(v) for v in vals]}
