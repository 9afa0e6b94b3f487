# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
cache = {}
cache.setdefault("k", []).append(1)
cache.update(a=1)
cache.pop("k")
