# writes:
# reads: C:INFO, C:MON
# mode: read_only
# rules:
import epics
epics.cainfo("C:INFO")
epics.camonitor("C:MON")
