# writes: AL:10
# reads:
# mode: write_access
# rules: dynamic-code
ep = __import__("epics")
ep.caput("AL:10", 1)
