# writes:
# reads: SR:BPM:03:X
# mode: read_only
# rules:
import epics, time
x = epics.PV('SR:BPM:03:X', auto_monitor=True)
values = []
x.add_callback(lambda value=None, **kw: values.append(value))
time.sleep(1)
results = {'values': values}
