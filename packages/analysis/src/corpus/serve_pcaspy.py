# writes: ?
# reads:
# mode: write_access
# rules: control-serve, unbounded-loop
from pcaspy import SimpleServer, Driver

server = SimpleServer()
server.createPV('SIM:', {'RAND': {'prec': 3}})
class D(Driver):
    pass
driver = D()
while True:
    server.process(0.1)
