# writes:
# reads:
# mode: read_only
# rules: file-write-outside
import os
def clean(path):
    os.remove(path)
