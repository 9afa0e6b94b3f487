# writes: SR:MAG:QF1:CURRENT_SP
# reads:
# mode: write_access
# rules: undefined-name
caput('SR:MAG:QF1:CURRENT_SP', 101.0)
