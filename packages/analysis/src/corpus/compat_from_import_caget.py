# writes:
# reads: SR:DCCT:CURRENT
# mode: read_only
# rules:
from caproto.threading.pyepics_compat import caget
results = {'current_mA': caget('SR:DCCT:CURRENT')}
