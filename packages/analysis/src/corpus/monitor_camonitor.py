# writes:
# reads: SR:BPM:04:Y
# mode: read_only
# rules:
import time
from epics import camonitor, camonitor_clear
camonitor('SR:BPM:04:Y')
time.sleep(1)
camonitor_clear('SR:BPM:04:Y')
results = {}
