# writes: ?
# reads:
# mode: write_access
# rules: control-serve
from p4p.server.asyncio import SharedPV
from p4p.nt import NTScalar
pv = SharedPV(nt=NTScalar('d'), initial=1.0)
pv.post(2.0)
