# writes:
# reads: ?
# mode: read_only
# rules:
import pandas as pd
from epics import caget
rows = []
for n in ('01', '02'):
    rows.append({'bpm': n, 'x': caget(f'SR:BPM:{n}:X'), 'y': caget(f'SR:BPM:{n}:Y')})
results = {'table': pd.DataFrame(rows).to_dict('records')}
