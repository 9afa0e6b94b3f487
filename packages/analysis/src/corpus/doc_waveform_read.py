# writes:
# reads: SR:BPM:01:X
# mode: read_only
# rules:
import numpy as np
from epics import PV
wf = PV('SR:BPM:01:X', count=1000)
data = np.asarray(wf.get(as_numpy=True))
results = {'peak': float(data.max()) if data.size else 0.0}
