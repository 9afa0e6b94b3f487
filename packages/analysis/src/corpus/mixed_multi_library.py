# writes: MX:3, mx/dev/1/Attr, PVA:MX
# reads:
# mode: write_access
# rules:
import epics, tango
from p4p.client.thread import Context
epics.caput("MX:3", 1)
tango.DeviceProxy("mx/dev/1").write_attribute("Attr", 2)
Context("pva").put("PVA:MX", 3)
