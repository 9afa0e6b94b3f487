# writes:
# reads:
# mode: read_only
# rules: syntax
print "hello"
