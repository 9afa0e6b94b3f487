# writes:
# reads:
# mode: read_only
# rules: file-write-outside
from pathlib import Path
Path("/tmp/../etc/x").write_text("y")
