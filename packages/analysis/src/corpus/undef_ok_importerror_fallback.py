# writes:
# reads: SR:DCCT:CURRENT
# mode: read_only
# rules:
try:
    from epics import caget
except ImportError:
    caget = None
try:
    import numpy as np
except ImportError:
    np = None
results = {'i': caget('SR:DCCT:CURRENT') if caget else None, 'np': np is not None}
