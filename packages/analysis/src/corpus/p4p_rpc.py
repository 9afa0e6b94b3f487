# writes: PVA:RPC
# reads:
# mode: write_access
# rules:
from p4p.client.thread import Context
Context("pva").rpc("PVA:RPC", {"a": 1})
