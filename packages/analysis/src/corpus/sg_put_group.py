# writes: SR:MAG:QF1:CURRENT_SP, SR:MAG:QD1:CURRENT_SP
# reads:
# mode: write_access
# rules:
from epics import ca

gid = ca.sg_create()
qf = ca.create_channel('SR:MAG:QF1:CURRENT_SP', connect=True)
qd = ca.create_channel('SR:MAG:QD1:CURRENT_SP', connect=True)
ca.sg_put(gid, qf, 100.5)
ca.sg_put(gid, qd, 99.5)
ca.sg_block(gid)
ca.sg_delete(gid)
