# writes: *
# reads:
# mode: write_access
# rules: dynamic-code, dynamic-control-access
module_name = input("module: ")
m = __import__(module_name)
m.caput("DY:4", 2)
