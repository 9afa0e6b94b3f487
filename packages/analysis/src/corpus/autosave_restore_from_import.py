# writes: ?
# reads:
# mode: write_access
# rules:
from epics.autosave import restore_pvs
ok = restore_pvs('storage_ring.sav')
results = {'restored': ok}
