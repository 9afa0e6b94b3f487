# writes:
# reads:
# mode: read_only
# rules: network
import socket
s = socket.create_connection(("example.org", 80))
