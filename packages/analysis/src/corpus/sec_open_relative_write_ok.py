# writes:
# reads:
# mode: read_only
# rules:
with open("output.csv", "w") as f:
    f.write("a,b\n")
