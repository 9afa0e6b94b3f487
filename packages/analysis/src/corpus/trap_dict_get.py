# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
config = {"gain": 2}
gain = config.get("gain", 1)
