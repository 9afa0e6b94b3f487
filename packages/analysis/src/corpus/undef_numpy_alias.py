# writes:
# reads: SR:DCCT:CURRENT
# mode: read_only
# rules: undefined-name
from epics import caget
vals = [caget('SR:DCCT:CURRENT') for _ in range(5)]
results = {'mean': float(np.mean(vals))}
