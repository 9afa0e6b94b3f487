# writes: FL:8
# reads:
# mode: write_access
# rules:
from epics import PV
magnets = {"q1": PV("FL:8")}
magnets["q1"].put(1)
