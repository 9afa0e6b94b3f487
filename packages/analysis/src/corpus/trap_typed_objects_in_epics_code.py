# writes:
# reads: TY:1
# mode: read_only
# rules:
# trap: yes
import queue
import threading
import numpy as np
from epics import caget
q = queue.Queue()
done = threading.Event()
arr = np.zeros(4)
counts = {"a": 1}
q.put(caget("TY:1"))
done.set()
arr.put([0], [1])
n = 0
n.real
for k, v in counts.items():
    print(k, v)
