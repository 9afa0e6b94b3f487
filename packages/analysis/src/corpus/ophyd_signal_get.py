# writes:
# reads: OP:RO
# mode: read_only
# rules:
from ophyd import EpicsSignalRO
ro = EpicsSignalRO("OP:RO", name="ro")
print(ro.get())
