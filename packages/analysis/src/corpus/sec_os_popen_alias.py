# writes:
# reads:
# mode: read_only
# rules: process-spawn
from os import popen as p
out = p("uptime").read()
