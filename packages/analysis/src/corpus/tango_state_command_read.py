# writes: sr/ps/q6/Init
# reads: sr/ps/q6/State, sr/ps/q6/Current
# mode: write_access
# rules:
import tango
ps = tango.DeviceProxy("sr/ps/q6")
if ps.State() == tango.DevState.FAULT:
    ps.Init()
cfg = ps.get_attribute_config("Current")
