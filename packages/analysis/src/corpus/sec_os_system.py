# writes:
# reads:
# mode: read_only
# rules: process-spawn
import os
os.system("ls")
