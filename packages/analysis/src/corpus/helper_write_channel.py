# writes: HLP:1
# reads:
# mode: write_access
# rules:
write_channel("HLP:1", 3)
