# writes:
# reads: SR:DCCT:CURRENT, SR:DCCT:LIFETIME
# mode: read_only
# rules:
from caproto.threading.client import Context
ctx = Context()
cur, life = ctx.get_pvs('SR:DCCT:CURRENT', 'SR:DCCT:LIFETIME')
results = {'current': cur.read().data[0], 'lifetime': life.read().data[0]}
