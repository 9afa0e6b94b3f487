# writes: AL:6
# reads:
# mode: write_access
# rules:
def run():
    from epics import caput as put_value
    put_value("AL:6", 9)
run()
