# writes: SR:MAG:QF1:CURRENT_SP
# reads: SR:DCCT:CURRENT
# mode: write_access
# rules:
current = read_channel('SR:DCCT:CURRENT')
if current > context.min_current:
    write_channel('SR:MAG:QF1:CURRENT_SP', 101.0)
results = {'current': current}
