# writes:
# reads:
# mode: read_only
# rules: process-spawn
import subprocess
subprocess.run(["ls"])
