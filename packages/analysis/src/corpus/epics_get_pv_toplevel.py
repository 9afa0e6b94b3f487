# writes: BR:KICK2
# reads:
# mode: write_access
# rules:
from epics import get_pv
get_pv("BR:KICK2").put(0)
