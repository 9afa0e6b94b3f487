# writes:
# reads:
# mode: read_only
# rules: syntax
def f(:
    pass
