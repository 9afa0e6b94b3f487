# writes: MX:2
# reads:
# mode: write_access
# rules: process-spawn
import os, epics
os.system("echo hi")
epics.caput("MX:2", 0)
