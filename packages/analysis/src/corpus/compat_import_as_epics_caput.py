# writes: SR:MAG:QF1:CURRENT_SP
# reads:
# mode: write_access
# rules:
import caproto.threading.pyepics_compat as epics
epics.caput('SR:MAG:QF1:CURRENT_SP', 101.2, wait=True)
