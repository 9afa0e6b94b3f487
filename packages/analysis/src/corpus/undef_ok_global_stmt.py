# writes:
# reads: SR:DCCT:LIFETIME
# mode: read_only
# rules:
from epics import caget

def refresh():
    global lifetime
    lifetime = caget('SR:DCCT:LIFETIME')

refresh()
results = {'lifetime': lifetime}
