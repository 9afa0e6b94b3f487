# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
def restore_pvs(path):
    with open(path) as fh:
        return [line.split() for line in fh]

results = {'pairs': restore_pvs('quads.sav')}
