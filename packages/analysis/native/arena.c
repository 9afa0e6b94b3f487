// pyfleet's tree-sitter addon: tree-sitter's memory, an arena per parse.
//
// Everything tree-sitter allocates lives only within one parse() call (a parser made for it, the
// tree, the cursor), so its allocator here is a bump allocator whose free does nothing, emptied
// when the call ends: no malloc bookkeeping during the parse and no walk of the tree to free it
// (together ~15 % of a parse, perf). The grammar's external scanner allocates with the C
// library's malloc in its own binding, not here. Thread-local, so addon calls from several
// threads never share an arena.

#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_sitter/api.h"

#define ARENA_ALIGN 16
#define ARENA_FIRST_CHUNK (4u << 20)

typedef struct Chunk {
  struct Chunk *next;
  size_t size;  // bytes after the header
  size_t used;
  size_t pad;   // keeps the data 16-byte aligned
} Chunk;

// a block's size, for realloc
typedef struct {
  size_t size;
  size_t pad;
} Block;

static _Thread_local Chunk *arena_first;
static _Thread_local Chunk *arena_current;

static void arena_abort(size_t size) {
  fprintf(stderr, "pyfleet tree-sitter addon: failed to allocate %zu bytes\n", size);
  abort();  // what tree-sitter's own allocator does: its callers do not handle NULL
}

static Chunk *arena_chunk(size_t need) {
  size_t size = arena_current ? arena_current->size * 2 : ARENA_FIRST_CHUNK;
  while (size < need) size *= 2;
  Chunk *c = malloc(sizeof(Chunk) + size);
  if (c == NULL) arena_abort(size);
  c->next = NULL;
  c->size = size;
  c->used = 0;
  if (arena_current) arena_current->next = c;
  else arena_first = c;
  arena_current = c;
  return c;
}

static void *arena_malloc(size_t size) {
  size_t need = sizeof(Block) + ((size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1));
  Chunk *c = arena_current;
  if (c == NULL || c->size - c->used < need) c = arena_chunk(need);
  Block *b = (Block *)((char *)(c + 1) + c->used);
  c->used += need;
  b->size = size;
  return b + 1;
}

static void *arena_calloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) arena_abort(SIZE_MAX);
  void *p = arena_malloc(count * size);
  memset(p, 0, count * size);
  return p;
}

static void *arena_realloc(void *ptr, size_t size) {
  if (ptr == NULL) return arena_malloc(size);
  Block *b = (Block *)ptr - 1;
  if (size <= b->size) {
    b->size = size;
    return ptr;
  }
  // the last block of the current chunk grows in place
  Chunk *c = arena_current;
  char *end = (char *)(c + 1) + c->used;
  size_t old = (b->size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  size_t grown = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  if ((char *)ptr + old == end && c->size - c->used >= grown - old) {
    c->used += grown - old;
    b->size = size;
    return ptr;
  }
  void *moved = arena_malloc(size);
  memcpy(moved, ptr, b->size);
  return moved;
}

static void arena_free(void *ptr) {
  (void)ptr;  // the whole arena is emptied after the parse
}

// Empties the arena: the first chunk is kept for the next parse, larger ones (a big source) go.
void arena_reset(void) {
  if (arena_first == NULL) return;
  Chunk *c = arena_first->next;
  while (c) {
    Chunk *next = c->next;
    free(c);
    c = next;
  }
  arena_first->next = NULL;
  arena_first->used = 0;
  arena_current = arena_first;
}

void arena_install(void) {
  ts_set_allocator(arena_malloc, arena_calloc, arena_realloc, arena_free);
}
