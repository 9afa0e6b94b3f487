# writes:
# reads:
# mode: read_only
# rules: dynamic-code, process-spawn
exec("import os\nos.system('ls')")
