# writes: sr/ps/q3/Current
# reads:
# mode: write_access
# rules:
import PyTango
ps = PyTango.DeviceProxy("sr/ps/q3")
ps.write_attribute_asynch("Current", 1.0)
