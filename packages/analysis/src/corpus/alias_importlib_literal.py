# writes: AL:9
# reads:
# mode: write_access
# rules:
import importlib
ep = importlib.import_module("epics")
ep.caput("AL:9", 1)
