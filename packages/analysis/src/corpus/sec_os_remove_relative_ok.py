# writes:
# reads:
# mode: read_only
# rules:
import os
os.remove("tmp_plot.png")
