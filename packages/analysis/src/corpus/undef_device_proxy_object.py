# writes: sr/ps/qf1/Current
# reads:
# mode: write_access
# rules: undefined-name
import tango
device.write_attribute('Current', 1.0)
proxy = tango.DeviceProxy('sr/ps/qf1')
proxy.write_attribute('Current', 1.0)
