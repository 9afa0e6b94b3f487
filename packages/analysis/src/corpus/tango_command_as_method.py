# writes: sr/ps/q2/Reset
# reads:
# mode: write_access
# rules:
import tango
ps = tango.DeviceProxy("sr/ps/q2")
ps.Reset()
