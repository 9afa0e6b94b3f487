# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
import pandas as pd
df = pd.DataFrame({"a": [1]})
df = df.set_index("a")
df.value = 3
