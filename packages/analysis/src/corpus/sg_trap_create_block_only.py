# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
from epics import ca
gid = ca.sg_create()
ca.sg_block(gid)
ca.sg_delete(gid)
results = {'ok': True}
