# writes:
# reads: CP:2
# mode: read_only
# rules:
from caproto.threading.client import Context
ctx = Context()
(pv,) = ctx.get_pvs("CP:2")
print(pv.read().data)
