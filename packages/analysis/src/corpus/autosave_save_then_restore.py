# writes: ?
# reads: ?
# mode: write_access
# rules:
from epics import autosave
autosave.save_pvs('ring.req', 'ring_before.sav')
autosave.restore_pvs('ring_golden.sav')
