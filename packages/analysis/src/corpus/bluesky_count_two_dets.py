# writes:
# reads: BL:DET, BL:I0
# mode: read_only
# rules:
from bluesky import RunEngine
from bluesky.plans import count
from ophyd import EpicsSignalRO
dets = [EpicsSignalRO('BL:DET', name='det'), EpicsSignalRO('BL:I0', name='i0')]
RunEngine({})(count(dets, 3))
