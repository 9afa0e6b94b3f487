# writes: ?
# reads:
# mode: write_access
# rules:
from epics import ca

def apply(gid, channels, value):
    for ch in channels:
        ca.sg_put(gid, ch, value)
    ca.sg_block(gid)
