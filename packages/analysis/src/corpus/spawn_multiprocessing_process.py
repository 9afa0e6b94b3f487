# writes:
# reads:
# mode: read_only
# rules: process-spawn
import multiprocessing as mp

def work(q):
    q.put(1)

q = mp.Queue()
p = mp.get_context("spawn").Process(target=work, args=(q,))
p.start()
results = {"v": q.get()}
