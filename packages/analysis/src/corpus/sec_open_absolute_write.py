# writes:
# reads:
# mode: read_only
# rules: file-write-outside
with open("/etc/passwd", "a") as f:
    f.write("x")
