# writes: SR:MAG:QF1:CURRENT_SP
# reads: SR:BPM:01:X
# mode: write_access
# rules:
import time
from epics import caget, caput
response = []
for i in range(5):
    caput('SR:MAG:QF1:CURRENT_SP', 100.0 + i * 0.2, wait=True)
    time.sleep(0.5)
    response.append(caget('SR:BPM:01:X'))
results = {'response': response}
