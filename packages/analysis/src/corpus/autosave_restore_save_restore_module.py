# writes: ?
# reads:
# mode: write_access
# rules:
from epics.autosave.save_restore import restore_pvs as restore
restore('quads.sav')
