# writes:
# reads: SR:DCCT:LIFETIME
# mode: read_only
# rules:
import caproto.threading.pyepics_compat as epics
lt = epics.get_pv('SR:DCCT:LIFETIME')
results = {'lifetime_h': lt.get()}
