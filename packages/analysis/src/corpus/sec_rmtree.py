# writes:
# reads:
# mode: read_only
# rules: file-write-outside
import shutil
shutil.rmtree("/data/archive")
