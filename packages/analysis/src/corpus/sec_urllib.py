# writes:
# reads:
# mode: read_only
# rules: network
from urllib.request import urlopen
urlopen("http://example.org")
