# writes: SR:MAG:QF2:CURRENT_SP
# reads:
# mode: write_access
# rules:
import caproto.threading.pyepics_compat as epics
q = epics.PV('SR:MAG:QF2:CURRENT_SP')
q.value = 101.0
