# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
import bluesky.plan_stubs as bps
from bluesky import RunEngine

def pause_plan():
    yield from bps.sleep(1.0)
    yield from bps.checkpoint()

RunEngine({})(pause_plan())
