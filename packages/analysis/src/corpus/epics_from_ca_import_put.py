# writes: X:Y
# reads:
# mode: write_access
# rules:
from epics.ca import put, create_channel
ch = create_channel("X:Y")
put(ch, 1)
