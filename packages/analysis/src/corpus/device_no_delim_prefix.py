# writes: SR:MAG:QF1:CURRENT_SP
# reads:
# mode: write_access
# rules:
from epics import Device
quad = Device('SR:MAG:QF1:')
quad.put('CURRENT_SP', 100.0)
