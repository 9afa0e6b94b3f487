# writes: ?
# reads:
# mode: write_access
# rules:
from concurrent.futures import ThreadPoolExecutor
import epics
with ThreadPoolExecutor() as ex:
    ex.submit(epics.caput, "E:1", 1)
