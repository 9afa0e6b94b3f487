# writes:
# reads: SR:DCCT:CURRENT
# mode: read_only
# rules:
import asyncio
from caproto.asyncio.client import Context


async def watch(seconds):
    ctx = Context()
    seen = []
    async def collect():
        async for event, context, data in ctx.monitor('SR:DCCT:CURRENT'):
            if event == 'subscription':
                seen.append(data.data[0])
    try:
        await asyncio.wait_for(collect(), timeout=seconds)
    except asyncio.TimeoutError:
        pass
    return seen

results = {'n': len(asyncio.run(watch(2.0)))}
