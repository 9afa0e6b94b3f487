# writes:
# reads: SR:DCCT:CURRENT
# mode: read_only
# rules:
from caproto.threading.client import Context
ctx = Context()
current, = ctx.get_pvs('SR:DCCT:CURRENT')
sub = current.subscribe(data_type='time')
sub.add_callback(lambda sub, response: print(response.data))
results = {}
