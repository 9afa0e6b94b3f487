# writes: *
# reads:
# mode: write_access
# rules: dynamic-code, dynamic-control-access
import runpy
runpy.run_path("other_script.py")
