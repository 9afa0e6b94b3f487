# writes:
# reads:
# mode: read_only
# rules: unbounded-loop
while 1:
    for i in range(3):
        break
