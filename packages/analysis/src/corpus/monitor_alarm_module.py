# writes:
# reads: SR:DCCT:LIFETIME
# mode: read_only
# rules:
from epics.alarm import Alarm
Alarm(pvname='SR:DCCT:LIFETIME', comparison='<', trip_point=2.0)
results = {}
