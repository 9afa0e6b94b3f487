# writes: ?
# reads:
# mode: write_access
# rules: control-serve
import pvaccess
server = pvaccess.PvaServer()
server.addRecord('PVA:SHADOW', pvaccess.PvObject({'value': pvaccess.DOUBLE}))
