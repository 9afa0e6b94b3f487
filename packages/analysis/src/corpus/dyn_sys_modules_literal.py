# writes: SM:1
# reads:
# mode: write_access
# rules:
import sys
import epics
sys.modules["epics"].caput("SM:1", 1)
