# writes:
# reads: sr/ps/q5
# mode: read_only
# rules:
import tango
ps = tango.DeviceProxy("sr/ps/q5")
print(ps.state())
