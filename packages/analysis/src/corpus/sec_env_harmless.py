# writes:
# reads:
# mode: read_only
# rules:
import os
home = os.environ.get("HOME", "/")
tz = os.environ["TZ"]
has = "EPICS_CA_ADDR_LIST" in os.environ
