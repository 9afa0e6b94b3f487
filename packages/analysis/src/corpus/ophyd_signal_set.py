# writes: OP:SIG
# reads:
# mode: write_access
# rules:
from ophyd import EpicsSignal
sig = EpicsSignal("OP:SIG", name="sig")
sig.set(1).wait()
