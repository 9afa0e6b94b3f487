# writes: PVA:3
# reads:
# mode: write_access
# rules:
import p4p.client.thread as pt
c = pt.Context("pva")
c.put("PVA:3", 1)
