# writes: sr/ps/q1/On
# reads:
# mode: write_access
# rules:
import tango
ps = tango.DeviceProxy("sr/ps/q1")
ps.command_inout("On")
