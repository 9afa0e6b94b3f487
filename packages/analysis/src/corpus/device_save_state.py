# writes:
# reads: SR:MAG:QF1:
# mode: read_only
# rules:
from epics import Device
quad = Device('SR:MAG:QF1:', attrs=('CURRENT_SP', 'CURRENT_RB'))
results = {'state': quad.save_state()}
