# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
message = "do not call caput('SR:X', 1) here"
print(message)
