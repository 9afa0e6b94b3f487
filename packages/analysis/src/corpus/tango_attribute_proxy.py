# writes: sr/ps/q4/Current
# reads:
# mode: write_access
# rules:
from tango import AttributeProxy
ap = AttributeProxy("sr/ps/q4/Current")
ap.write(3.0)
