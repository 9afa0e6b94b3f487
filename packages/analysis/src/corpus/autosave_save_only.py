# writes:
# reads: ?
# mode: read_only
# rules:
from epics.autosave import save_pvs
save_pvs('quads.req', 'quads.sav')
results = {'saved': True}
