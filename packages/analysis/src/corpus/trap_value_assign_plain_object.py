# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
class Box:
    pass
b = Box()
b.value = 4
print(b.value)
