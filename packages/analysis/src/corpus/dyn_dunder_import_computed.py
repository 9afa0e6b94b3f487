# writes: *
# reads:
# mode: write_access
# rules: dynamic-code, dynamic-control-access
m = __import__(module_name)
m.caput("DY:4", 2)
