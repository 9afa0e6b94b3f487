# writes: SR:MAG:QF1:CURRENT_SP
# reads: SR:MAG:QF1:CURRENT_SP
# mode: write_access
# rules:
from epics import caget, caput
sp = 'SR:MAG:QF1:CURRENT_SP'
start = caget(sp)
caput(sp, start + 0.5, wait=True)
caput(sp, start, wait=True)
results = {'start': start}
