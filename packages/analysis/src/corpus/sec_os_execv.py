# writes:
# reads:
# mode: read_only
# rules: process-spawn
import os
os.execv("/bin/sh", ["sh"])
