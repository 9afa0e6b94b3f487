# writes: TC:1
# reads:
# mode: write_access
# rules:
import queue
from epics import PV
class A:
    def __init__(self):
        self.out = PV("TC:1")
    def send(self, v):
        self.out.put(v)
class B:
    def __init__(self):
        self.out = queue.Queue()
    def send(self, v):
        self.out.put(v)
A().send(1)
B().send(2)
