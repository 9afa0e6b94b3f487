# writes: *
# reads:
# mode: write_access
# rules: dynamic-control-access
import importlib
suffix = input()
mod = importlib.import_module("ep" + suffix)
mod.caput("DY:3", 1)
