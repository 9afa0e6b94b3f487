# writes: ?
# reads:
# mode: write_access
# rules: control-serve
from softioc import softioc, builder
builder.SetDeviceName('SOFT')
ai = builder.aIn('AI', initial_value=5)
builder.LoadDatabase()
softioc.iocInit()
