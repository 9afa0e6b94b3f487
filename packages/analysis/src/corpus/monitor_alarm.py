# writes:
# reads: SR:VAC:GAUGE1:PRESSURE
# mode: read_only
# rules:
import epics
def too_high(pvname=None, value=None, **kw):
    print('vacuum alarm', pvname, value)
epics.Alarm('SR:VAC:GAUGE1:PRESSURE', comparison='>', trip_point=5e-9, callback=too_high, alert_delay=10)
results = {}
