# writes:
# reads: PVA:2
# mode: read_only
# rules:
from p4p.client.thread import Context
ctxt = Context("pva")
v = ctxt.get("PVA:2")
