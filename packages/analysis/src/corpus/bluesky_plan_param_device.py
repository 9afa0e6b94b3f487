# writes: ?
# reads:
# mode: write_access
# rules:
import bluesky.plan_stubs as bps

def move_to(device, target):
    yield from bps.mv(device, target)
