# writes: CP:5
# reads:
# mode: write_access
# rules:
from caproto.sync.client import write
write("CP:5", 1)
