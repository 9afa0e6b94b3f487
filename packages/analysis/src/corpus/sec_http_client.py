# writes:
# reads:
# mode: read_only
# rules: network
import http.client
c = http.client.HTTPConnection("example.org")
