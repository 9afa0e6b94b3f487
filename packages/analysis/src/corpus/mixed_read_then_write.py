# writes: MX:SP
# reads: MX:RB
# mode: write_access
# rules:
import epics
rb = epics.caget("MX:RB")
if rb is not None:
    epics.caput("MX:SP", rb * 1.01)
