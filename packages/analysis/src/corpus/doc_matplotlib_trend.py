# writes:
# reads: SR:DCCT:CURRENT
# mode: read_only
# rules:
import time
import matplotlib.pyplot as plt
from epics import caget
ys = []
for _ in range(20):
    ys.append(caget('SR:DCCT:CURRENT'))
    time.sleep(0.05)
plt.plot(ys)
plt.ylabel('mA')
results = {'n': len(ys)}
