# writes:
# reads:
# mode: read_only
# rules: undefined-name
class Model:
    gain = 2.0
    def apply(self, x):
        return gain * x

results = {'y': Model().apply(3)}
