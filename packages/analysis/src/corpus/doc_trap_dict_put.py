# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
settings = {}
settings.update({'SR:MAG:QF1:CURRENT_SP': 101.0})
queue = []
queue.append(('put', 'SR:MAG:QF1:CURRENT_SP'))
results = {'planned': settings}
