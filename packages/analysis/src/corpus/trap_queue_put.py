# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
import queue
q = queue.Queue()
q.put(1)
item = q.get()
