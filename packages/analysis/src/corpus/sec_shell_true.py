# writes:
# reads:
# mode: read_only
# rules: process-spawn
import asyncio
def go(runner):
    runner("ls | wc", shell=True)
