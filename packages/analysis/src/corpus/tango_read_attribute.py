# writes:
# reads: sys/tg_test/1/ampli
# mode: read_only
# rules:
from tango import DeviceProxy
dev = DeviceProxy("sys/tg_test/1")
v = dev.read_attribute("ampli").value
