# writes:
# reads:
# mode: read_only
# rules: process-spawn
import pty
pty.spawn("/bin/sh")
