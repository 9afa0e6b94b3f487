# writes: *
# reads:
# mode: write_access
# rules: dynamic-control-access
import sys
mod = sys.modules[pick_module()]
mod.caput("SM:2", 1)
