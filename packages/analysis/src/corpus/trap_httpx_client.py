# writes:
# reads:
# mode: read_only
# rules: network
# trap: yes
import httpx
with httpx.Client() as client:
    client.put("http://x", data=b"1")
