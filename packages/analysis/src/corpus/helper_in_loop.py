# writes: ?
# reads:
# mode: write_access
# rules:
for name in get_names():
    write_channel(name, 0)
