// tree-sitter's C library (its single-file amalgamation, from the `tree-sitter` package's vendor
// folder; binding.gyp puts its src on the include path), compiled into this addon with hidden
// symbols so it never meets the copy inside the `tree-sitter` binding.
#include "lib.c"
