# writes:
# reads:
# mode: read_only
# rules: process-spawn
import os
os.spawnl(os.P_WAIT, "/bin/true", "true")
