# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
import asyncio
async def main():
    q = asyncio.Queue()
    await q.put(1)
    return await q.get()
