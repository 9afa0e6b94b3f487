# writes: ?
# reads:
# mode: write_access
# rules:
import epics.autosave
epics.autosave.restore_pvs('/tmp/quads.sav', debug=True)
