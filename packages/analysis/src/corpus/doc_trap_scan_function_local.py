# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
def scan(points, step):
    return [p * step for p in points]

results = {'grid': scan([1, 2, 3], 0.5)}
