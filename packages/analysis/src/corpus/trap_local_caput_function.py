# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
def caput(name, value):
    print(name, value)
caput("SR:X", 1)
