# writes:
# reads:
# mode: read_only
# rules: dynamic-code
x = eval("1 + 1")
