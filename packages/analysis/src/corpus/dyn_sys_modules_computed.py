# writes: *
# reads:
# mode: write_access
# rules: dynamic-control-access
import sys
def pick_module():
    return sys.argv[-1]
mod = sys.modules[pick_module()]
mod.caput("SM:2", 1)
