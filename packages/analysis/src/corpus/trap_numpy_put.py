# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
import numpy as np
a = np.zeros(3)
np.put(a, [0], [1])
a.put([1], [2])
