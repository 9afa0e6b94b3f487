# writes:
# reads: RS:1
# mode: read_only
# rules:
from epics import caget
results = {"current": caget("RS:1")}
