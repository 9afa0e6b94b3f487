# writes:
# reads: SR:MAG:QD1:CURRENT_SP
# mode: read_only
# rules:
from epics import PV
sp = PV('SR:MAG:QD1:CURRENT_SP')
ctrl = sp.get_ctrlvars()
results = {'lo': ctrl['lower_ctrl_limit'], 'hi': ctrl['upper_ctrl_limit']}
