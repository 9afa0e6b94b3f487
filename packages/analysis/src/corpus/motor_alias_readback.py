# writes:
# reads: XXX:m1.RBV, XXX:m1.VELO
# mode: read_only
# rules:
import epics
m = epics.Motor('XXX:m1')
results = {'pos': m.readback, 'speed': m.slew_speed}
