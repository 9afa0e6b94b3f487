# writes:
# reads:
# mode: read_only
# rules: dynamic-code
code = compile("y = 2", "<s>", "exec")
