# writes: 13SDS:scaler1.CNT
# reads:
# mode: write_access
# rules:
from epics.devices import Scaler
s = Scaler("13SDS:scaler1")
s.put(".CNT", 1)
