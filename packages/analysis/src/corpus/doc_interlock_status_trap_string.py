# writes:
# reads: SR:INTLK:ENABLE
# mode: read_only
# rules:
# trap: yes
from epics import caget
status = caget('SR:INTLK:ENABLE', as_string=True)
note = 'caput("SR:INTLK:ENABLE", 0) would disable it'
results = {'status': status, 'note': note}
