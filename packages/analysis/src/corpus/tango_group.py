# writes: ps-group/Off
# reads:
# mode: write_access
# rules:
import tango
g = tango.Group("ps-group")
g.Off()
