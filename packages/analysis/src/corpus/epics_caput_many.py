# writes: A:1, A:2
# reads:
# mode: write_access
# rules:
import epics
epics.caput_many(["A:1", "A:2"], [1, 2])
