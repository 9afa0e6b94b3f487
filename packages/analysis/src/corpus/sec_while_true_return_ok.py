# writes:
# reads:
# mode: read_only
# rules:
import os
def ready():
    return os.path.exists("done")
def wait():
    while True:
        if ready():
            return 1
