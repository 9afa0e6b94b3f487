# writes:
# reads: XX:m1.DESC
# mode: read_only
# rules:
import epics
dev = epics.Device('XX:m1', delim='.')
results = {'desc': dev.PV('DESC').get(as_string=True)}
