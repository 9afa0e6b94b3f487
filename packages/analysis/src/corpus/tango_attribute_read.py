# writes:
# reads: sr/ps/q1/Current
# mode: read_only
# rules:
from tango import DeviceProxy
ps = DeviceProxy("sr/ps/q1")
print(ps.Current)
