# writes: HLP:5
# reads:
# mode: write_access
# rules:
from osprey.runtime import write_channel as wc
wc("HLP:5", 1)
