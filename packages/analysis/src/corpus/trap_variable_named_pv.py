# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
pv = {"name": "SR:X"}
pv.value = 3
pv.put = 1
