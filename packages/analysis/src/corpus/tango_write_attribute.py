# writes: sys/tg_test/1/ampli
# reads:
# mode: write_access
# rules:
import tango
dev = tango.DeviceProxy("sys/tg_test/1")
dev.write_attribute("ampli", 3.0)
