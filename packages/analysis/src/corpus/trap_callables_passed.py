# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
import queue
d = {"a": 1, "b": 2}
q = queue.Queue()
best = max(d, key=d.get)
names = list(map(str, [1, 2]))
consumer = q.put
sorted(names, key=len)
