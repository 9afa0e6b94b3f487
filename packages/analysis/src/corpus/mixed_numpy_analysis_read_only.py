# writes:
# reads: MX:BPM
# mode: read_only
# rules:
import numpy as np
from epics import caget
data = np.array([caget("MX:BPM") for _ in range(10)])
results = {"mean": float(data.mean()), "std": float(data.std())}
