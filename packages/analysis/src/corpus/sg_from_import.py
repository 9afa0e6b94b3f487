# writes: SR:MAG:QD2:CURRENT_SP
# reads:
# mode: write_access
# rules:
from epics.ca import sg_create, sg_put, sg_block, create_channel
g = sg_create()
sg_put(g, create_channel('SR:MAG:QD2:CURRENT_SP', connect=True), 80.0)
sg_block(g)
