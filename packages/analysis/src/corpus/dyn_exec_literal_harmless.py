# writes:
# reads:
# mode: read_only
# rules: dynamic-code
exec("x = 1 + 2")
