{
  "variables": {
    "ts_lib": "<!(node -p \"require('path').join(require('path').dirname(require.resolve('tree-sitter/package.json')), 'vendor', 'tree-sitter', 'lib')\")"
  },
  "targets": [
    {
      "target_name": "pyfleet_tree_flat",
      "sources": ["tree_flat.c", "arena.c", "table.c", "ts_lib.c"],
      "include_dirs": ["<(ts_lib)/include", "<(ts_lib)/src"],
      "cflags_c": ["-std=c11", "-O2", "-fvisibility=hidden", "-D_POSIX_C_SOURCE=200112L", "-D_DEFAULT_SOURCE"],
      "ldflags": ["-Wl,-Bsymbolic"]
    }
  ]
}
