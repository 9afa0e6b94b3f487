# writes:
# reads:
# mode: read_only
# rules:
with open("/etc/hostname") as f:
    host = f.read()
