# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
import threading
s = set()
s.add(1)
ev = threading.Event()
ev.set()
