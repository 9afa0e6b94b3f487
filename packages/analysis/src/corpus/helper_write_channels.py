# writes: HLP:2, HLP:3
# reads:
# mode: write_access
# rules:
write_channels(["HLP:2", "HLP:3"], [1, 2])
