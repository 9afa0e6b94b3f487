# writes: ?
# reads:
# mode: write_access
# rules: control-serve
import asyncio
from caproto.server import PVGroup, pvproperty
from caproto.asyncio.server import start_server

class Box(PVGroup):
    value = pvproperty(value=1)

asyncio.run(start_server(Box(prefix='BOX:').pvdb))
