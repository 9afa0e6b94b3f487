# writes: AL:11
# reads:
# mode: write_access
# rules:
import epics
fn = getattr(epics, "caput")
fn("AL:11", 2)
