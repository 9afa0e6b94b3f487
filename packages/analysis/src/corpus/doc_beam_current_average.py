# writes:
# reads: SR:DCCT:CURRENT
# mode: read_only
# rules:
import time
import numpy as np
from epics import caget

samples = []
for _ in range(10):
    samples.append(caget('SR:DCCT:CURRENT'))
    time.sleep(0.1)
results = {'mean_mA': float(np.mean(samples)), 'std_mA': float(np.std(samples))}
