# writes: FL:15
# reads:
# mode: write_access
# rules:
from p4p.client.thread import Context
with Context("pva") as ctx:
    ctx.put("FL:15", 1)
