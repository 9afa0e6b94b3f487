# writes: SR:MAG:QF2:CURRENT_SP
# reads:
# mode: write_access
# rules:
import epics
gid = epics.ca.sg_create()
ch = epics.ca.create_channel('SR:MAG:QF2:CURRENT_SP', connect=True)
epics.ca.sg_put(gid, ch, 102.0)
epics.ca.sg_block(gid, timeout=2.0)
