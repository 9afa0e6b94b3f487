# writes:
# reads:
# mode: read_only
# rules:
def wait():
    while True:
        if ready():
            return 1
