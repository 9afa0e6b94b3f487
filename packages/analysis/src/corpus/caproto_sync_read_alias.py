# writes:
# reads: CP:6
# mode: read_only
# rules:
from caproto.sync.client import read as ca_read
r = ca_read("CP:6")
