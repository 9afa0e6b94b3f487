# writes: *
# reads:
# mode: write_access
# rules: dynamic-control-access
import epics
name = "ca" + "put"[::-1]
fn = getattr(epics, name)
fn("DY:1", 1)
