# writes: *
# reads:
# mode: write_access
# rules: dynamic-code, dynamic-control-access
expr = input()
eval(expr)
