# writes: SR:MAG:QD2:CURRENT_SP
# reads: SR:MAG:QD2:CURRENT_RB
# mode: write_access
# rules:
from caproto.sync.client import read, write
rb = read('SR:MAG:QD2:CURRENT_RB').data[0]
write('SR:MAG:QD2:CURRENT_SP', rb + 0.1, notify=True)
results = {'rb': float(rb)}
