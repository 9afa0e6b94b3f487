# writes:
# reads:
# mode: read_only
# rules: native-code
import ctypes
libc = ctypes.CDLL("libc.so.6")
