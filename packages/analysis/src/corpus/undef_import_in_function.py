# writes:
# reads:
# mode: read_only
# rules: undefined-name
def setup():
    import numpy as np
    return np.arange(3)

results = {'x': np.arange(3).tolist()}
