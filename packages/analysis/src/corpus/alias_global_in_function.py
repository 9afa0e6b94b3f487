# writes: AL:12
# reads:
# mode: write_access
# rules:
import epics
writer = None
def setup():
    global writer
    writer = epics.caput
setup()
writer("AL:12", 3)
