# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
from concurrent.futures import ThreadPoolExecutor

with ThreadPoolExecutor() as pool:
    squares = list(pool.map(abs, [-1, -2]))
results = {"squares": squares}
