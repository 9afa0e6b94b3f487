# writes:
# reads:
# mode: read_only
# rules: unbounded-loop
import time
while True:
    time.sleep(1)
