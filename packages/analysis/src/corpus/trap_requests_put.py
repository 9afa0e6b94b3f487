# writes:
# reads:
# mode: read_only
# rules: network
# trap: yes
import requests
requests.put("http://example.org/api", json={"a": 1})
r = requests.get("http://example.org")
