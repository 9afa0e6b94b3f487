# writes:
# reads:
# mode: read_only
# rules: native-code
from cffi import FFI
ffi = FFI()
