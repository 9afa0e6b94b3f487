# writes: PVA:1
# reads:
# mode: write_access
# rules:
from p4p.client.thread import Context
ctxt = Context("pva")
ctxt.put("PVA:1", 5)
