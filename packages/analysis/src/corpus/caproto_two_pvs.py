# writes: CP:3
# reads: CP:4
# mode: write_access
# rules:
from caproto.threading.client import Context
a, b = Context().get_pvs("CP:3", "CP:4")
a.write([0])
b.read()
