# writes: T:1
# reads:
# mode: write_access
# rules:
import threading
from epics import PV
p = PV("T:1")
threading.Thread(target=p.put, args=(1,)).start()
