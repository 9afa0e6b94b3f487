# writes: *
# reads:
# mode: write_access
# rules: dynamic-code, dynamic-control-access
code = open("snippet.txt").read()
exec(code)
