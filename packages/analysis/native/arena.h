// pyfleet's tree-sitter addon: the allocator tree-sitter uses here (arena.c).
#ifndef PYFLEET_ARENA_H
#define PYFLEET_ARENA_H

// Makes tree-sitter (this addon's copy) allocate from the calling thread's arena.
void arena_install(void);

// Empties the calling thread's arena: everything tree-sitter allocated since the last reset is gone.
void arena_reset(void);

#endif
