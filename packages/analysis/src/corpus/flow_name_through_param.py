# writes: FL:5
# reads:
# mode: write_access
# rules:
from epics import caput
def set_magnet(name, value):
    caput(name, value)
set_magnet("FL:5", 10)
