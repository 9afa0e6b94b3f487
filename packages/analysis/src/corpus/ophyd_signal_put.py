# writes: OP:SIG2
# reads:
# mode: write_access
# rules:
from ophyd.signal import EpicsSignal
EpicsSignal("OP:SIG2", name="s").put(0)
