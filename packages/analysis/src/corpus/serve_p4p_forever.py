# writes: DEMO:COUNTER
# reads:
# mode: write_access
# rules: control-serve
from p4p.nt import NTScalar
from p4p.server import Server
from p4p.server.thread import SharedPV
pv = SharedPV(nt=NTScalar('i'), initial=0)
Server.forever(providers=[{'DEMO:COUNTER': pv}])
