# writes:
# reads: TR:1, TR:2
# mode: read_only
# rules:
# trap: yes
from epics import PV, caget
p = PV("TR:1")
print(p.get(), caget("TR:2"))
