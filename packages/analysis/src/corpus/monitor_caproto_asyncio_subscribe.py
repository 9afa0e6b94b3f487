# writes:
# reads: SR:BPM:01:X
# mode: read_only
# rules:
import asyncio
from caproto.asyncio.client import Context

async def watch():
    ctx = Context()
    x, = await ctx.get_pvs('SR:BPM:01:X')
    sub = x.subscribe()
    sub.add_callback(print)
    await asyncio.sleep(1)

asyncio.run(watch())
results = {}
