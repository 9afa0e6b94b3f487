# writes: SR:MAG:QF1:CURRENT_SP, SR:MAG:QF2:CURRENT_SP
# reads:
# mode: write_access
# rules:
from epics import caput_many
caput_many(['SR:MAG:QF1:CURRENT_SP', 'SR:MAG:QF2:CURRENT_SP'], [101.0, 101.0], wait='all')
