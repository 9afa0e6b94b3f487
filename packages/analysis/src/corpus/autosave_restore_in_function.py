# writes: ?
# reads:
# mode: write_access
# rules:
import epics.autosave as autosave

def roll_back(path):
    return autosave.restore_pvs(path)

results = {'ok': roll_back('before_scan.sav')}
