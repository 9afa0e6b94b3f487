# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
class Motor:
    def __init__(self, name):
        self.name = name
        self.position = 0.0
    def move(self, x):
        self.position = x

m = Motor('simulated')
m.move(3.0)
results = {'pos': m.position}
