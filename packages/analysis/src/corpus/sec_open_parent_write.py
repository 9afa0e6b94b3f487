# writes:
# reads:
# mode: read_only
# rules: file-write-outside
f = open("../outside.txt", mode="w")
