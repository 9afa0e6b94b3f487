# writes: SR:MAG:QF2:CURRENT_SP
# reads:
# mode: write_access
# rules:
import epics
qf2 = epics.PV('SR:MAG:QF2:CURRENT_SP', connection_timeout=2.0)
if qf2.wait_for_connection(timeout=2.0):
    qf2.put(100.0, wait=True)
