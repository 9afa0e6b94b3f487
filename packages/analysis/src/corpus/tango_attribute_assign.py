# writes: sr/ps/q1/Current
# reads:
# mode: write_access
# rules:
from tango import DeviceProxy
ps = DeviceProxy("sr/ps/q1")
ps.Current = 12.0
