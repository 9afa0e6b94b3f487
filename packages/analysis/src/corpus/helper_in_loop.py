# writes: ?
# reads:
# mode: write_access
# rules:
def get_names():
    return [line.strip() for line in open("names.txt")]
for name in get_names():
    write_channel(name, 0)
