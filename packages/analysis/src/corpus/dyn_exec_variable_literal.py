# writes: DY:8
# reads:
# mode: write_access
# rules: dynamic-code
SRC = "import epics; epics.caput('DY:8', 0)"
exec(SRC)
