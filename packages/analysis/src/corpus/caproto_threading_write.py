# writes: CP:1
# reads:
# mode: write_access
# rules:
from caproto.threading.client import Context
ctx = Context()
pv, = ctx.get_pvs("CP:1")
pv.write([1])
