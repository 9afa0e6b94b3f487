# writes:
# reads: HLP:4
# mode: read_only
# rules:
value = read_channel("HLP:4")
