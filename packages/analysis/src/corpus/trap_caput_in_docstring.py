# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
def f():
    """Never calls epics.caput("SR:X", 1)."""
    return 2
