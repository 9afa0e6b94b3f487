# writes: SR:MAG:QD1:CURRENT_SP
# reads:
# mode: write_access
# rules:
from epics import *
caput('SR:MAG:QD1:CURRENT_SP', 99.0)
