# writes:
# reads:
# mode: read_only
# rules:
results = {}
results["mean"] = 1.0
results.update({"std": 0.1})
