# writes: ?
# reads:
# mode: write_access
# rules:
from ophyd import Device, EpicsSignal, Component as Cpt
class Stage(Device):
    x = Cpt(EpicsSignal, "X")
stage = Stage("OP:STG:", name="stage")
stage.x.set(1.0)
