# writes:
# reads: PVA:4
# mode: read_only
# rules:
from p4p.client.thread import Context
ctx = Context("pva")
sub = ctx.monitor("PVA:4", print)
