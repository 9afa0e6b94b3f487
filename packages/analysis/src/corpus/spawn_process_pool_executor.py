# writes:
# reads:
# mode: read_only
# rules: process-spawn
from concurrent.futures import ProcessPoolExecutor

with ProcessPoolExecutor() as pool:
    squares = list(pool.map(abs, [-1, -2]))
results = {"squares": squares}
