# writes: DY:5
# reads:
# mode: write_access
# rules: dynamic-code
exec("from epics import caput\ncaput('DY:5', 1)")
