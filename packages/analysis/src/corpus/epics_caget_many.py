# writes:
# reads: B:1, B:2
# mode: read_only
# rules:
from epics import caget_many
vals = caget_many(["B:1", "B:2"])
