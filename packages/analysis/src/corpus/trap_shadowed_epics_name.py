# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
epics = {"caput": 1}
epics.get("caput")
