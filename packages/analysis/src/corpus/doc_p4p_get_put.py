# writes: PVA:SETPOINT
# reads: PVA:READBACK
# mode: write_access
# rules:
from p4p.client.thread import Context
ctx = Context('pva')
rb = ctx.get('PVA:READBACK')
ctx.put('PVA:SETPOINT', float(rb) + 1)
ctx.close()
