# writes:
# reads:
# mode: read_only
# rules: syntax
x = (1 + 2
y = 3
