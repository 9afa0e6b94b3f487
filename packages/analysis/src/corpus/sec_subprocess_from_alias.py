# writes:
# reads:
# mode: read_only
# rules: process-spawn
from subprocess import check_output as co
co(["id"])
