# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
def put(x, y):
    return x + y
put(1, 2)
