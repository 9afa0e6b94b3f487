# writes: SR:MAG:QD1:CURRENT_SP
# reads:
# mode: write_access
# rules:
from caproto.threading import pyepics_compat as compat
pv = compat.PV('SR:MAG:QD1:CURRENT_SP')
pv.put(98.0, wait=True)
