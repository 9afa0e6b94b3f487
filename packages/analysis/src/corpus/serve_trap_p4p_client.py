# writes:
# reads: PVA:DEMO
# mode: read_only
# rules:
# trap: yes
from p4p.client.thread import Context
ctx = Context('pva')
results = {'v': float(ctx.get('PVA:DEMO'))}
