# writes: ?, DEMO:SHADOW:CURRENT
# reads:
# mode: write_access
# rules: control-serve
from p4p.nt import NTScalar
from p4p.server import Server
from p4p.server.thread import SharedPV

current = SharedPV(nt=NTScalar('d'), initial=400.0)
with Server(providers=[{'DEMO:SHADOW:CURRENT': current}]):
    current.post(401.0)
