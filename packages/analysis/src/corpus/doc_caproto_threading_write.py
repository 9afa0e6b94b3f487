# writes: SR:INTLK:ENABLE
# reads:
# mode: write_access
# rules:
from caproto.threading.client import Context
ctx = Context()
enable, = ctx.get_pvs('SR:INTLK:ENABLE')
enable.write([1], wait=True)
