# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
# caput("SR:X", 1) would write, so we only read the archive
x = 1
