// pyfleet's tree-sitter addon: parses Python with tree-sitter's C library and hands the whole
// tree to JS in one call, as a flat table, instead of one call into native code per cursor move
// (the tree copy's whole cost through the public bindings, docs/performance.md "Analysis: the
// floor"). The grammar is the one tree-sitter-python's own binding exports (its `language`
// External), so both native engines parse with the same tables.
//
// The records are what tree-sitter's cursor (ts_tree_cursor_*) shows, node for node, read by a
// walk over the tree's subtrees that does the cursor's work once per node instead of once per move
// (walk_tree; the cursor's child iteration was ~15 % of a parse and table). The tests compare the
// copy with web-tree-sitter's cursor on every corpus input.
//
// Table layout (Int32Array): [hasError, count, then count records of RECORD_INTS ints]
//   0: public type id (ts_node_symbol; ERROR, 65535 there, is written as the grammar's symbol count,
//      so JS tables indexed by type id stay dense) | field id << 16 (the cursor's field id, 0: none)
//   1: start index, 2: end index (UTF-16 code units, as JS strings count)
//   3: depth below the root (root 0) | missing << 30
// Records are in document order (a preorder walk with tree-sitter's cursor: visible nodes only,
// exactly what the cursor of either public binding visits).

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_sitter/api.h"
// tree-sitter's internal headers, for the walk over the tree's subtrees (walk_tree below): the
// same library version as ts_lib.c compiles, from the same folder
#include "language.h"
#include "subtree.h"
#include "tree.h"

#define RECORD_INTS 4
#define HEADER_INTS 2
// tree-sitter's id of ERROR nodes (ERROR_SYMBOL in its private parser.h)
#define ERROR_SYMBOL ((TSSymbol)-1)

typedef struct {
  const TSLanguage *language;
  int32_t *table;     // grown as needed, kept between parses
  size_t capacity;    // records
  uint16_t *text;     // the source as UTF-16, grown as needed
  size_t text_capacity;
} FlatParser;

// ---- tree-sitter's memory: an arena per parse
//
// Everything tree-sitter allocates lives only within one parse() call (a parser made for it, the
// tree, the cursor), so its allocator here is a bump allocator whose free does nothing, emptied
// when the call ends: no malloc bookkeeping during the parse and no walk of the tree to free it
// (together ~15 % of a parse, perf). The grammar's external scanner allocates with the C
// library's malloc in its own binding, not here. Thread-local, so addon calls from several
// threads never share an arena.

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
static void arena_reset(void) {
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

// A parser for one parse, in the arena; NULL (with an exception pending) when the grammar does not fit.
static TSParser *arena_parser(napi_env env, const TSLanguage *language) {
  TSParser *parser = ts_parser_new();
  if (!ts_parser_set_language(parser, language)) {
    ts_parser_delete(parser);
    arena_reset();
    napi_throw_error(env, "PYFLEET_TREE_FLAT_ABI", "the grammar's ABI version is outside what this tree-sitter library reads");
    return NULL;
  }
  return parser;
}

// Ends a parse: the scanner's own memory is freed by ts_parser_delete, the rest with the arena.
static void arena_end(TSParser *parser) {
  ts_parser_delete(parser);
  arena_reset();
}

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error((env), NULL, "napi call failed: " #call); \
      return NULL;                                         \
    }                                                      \
  } while (0)

static void flat_parser_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  FlatParser *p = data;
  free(p->table);
  free(p->text);
  free(p);
}

static FlatParser *unwrap(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "expected a parser made by createParser");
    return NULL;
  }
  return data;
}

// createParser(language: External<TSLanguage>) -> External<FlatParser>
static napi_value create_parser(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *language = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], &language) != napi_ok || language == NULL) {
    napi_throw_type_error(env, NULL, "createParser needs tree-sitter-python's `language` External");
    return NULL;
  }
  // checks that the grammar fits this library, once
  TSParser *parser = arena_parser(env, language);
  if (parser == NULL) return NULL;
  arena_end(parser);
  FlatParser *p = calloc(1, sizeof(FlatParser));
  if (p == NULL) {
    napi_throw_error(env, "PYFLEET_TREE_FLAT_MEMORY", "out of memory");
    return NULL;
  }
  p->language = language;
  napi_value out;
  CHECK(env, napi_create_external(env, p, flat_parser_free, NULL, &out));
  return out;
}

// names(parser) -> { types: Array<[name, named] | undefined> by public id (ERROR last, at the
// symbol count), fields: Array<string | null> by field id }
static napi_value names(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  FlatParser *p = argc < 1 ? NULL : unwrap(env, argv[0]);
  if (p == NULL) return NULL;
  napi_value types, fields, out;
  uint32_t symbols = ts_language_symbol_count(p->language);
  CHECK(env, napi_create_array_with_length(env, symbols + 1, &types));
  for (uint32_t id = 0; id <= symbols; id++) {
    const char *name = ts_language_symbol_name(p->language, id == symbols ? ERROR_SYMBOL : (TSSymbol)id);
    if (name == NULL) continue;
    napi_value pair, js_name, js_named;
    CHECK(env, napi_create_array_with_length(env, 2, &pair));
    CHECK(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &js_name));
    CHECK(env, napi_get_boolean(env, id < symbols && ts_language_symbol_type(p->language, (TSSymbol)id) == TSSymbolTypeRegular, &js_named));
    CHECK(env, napi_set_element(env, pair, 0, js_name));
    CHECK(env, napi_set_element(env, pair, 1, js_named));
    CHECK(env, napi_set_element(env, types, id, pair));
  }
  uint32_t field_count = ts_language_field_count(p->language);
  CHECK(env, napi_create_array_with_length(env, field_count + 1, &fields));
  for (uint32_t id = 0; id <= field_count; id++) {
    const char *name = id == 0 ? NULL : ts_language_field_name_for_id(p->language, (TSFieldId)id);
    napi_value js_name;
    if (name == NULL) CHECK(env, napi_get_null(env, &js_name));
    else CHECK(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &js_name));
    CHECK(env, napi_set_element(env, fields, id, js_name));
  }
  CHECK(env, napi_create_object(env, &out));
  CHECK(env, napi_set_named_property(env, out, "types", types));
  CHECK(env, napi_set_named_property(env, out, "fields", fields));
  return out;
}

static int grow(FlatParser *p, size_t records) {
  if (records <= p->capacity) return 1;
  size_t capacity = p->capacity ? p->capacity : 4096;
  while (capacity < records) capacity *= 2;
  int32_t *table = realloc(p->table, (HEADER_INTS + capacity * RECORD_INTS) * sizeof(int32_t));
  if (table == NULL) return 0;
  p->table = table;
  p->capacity = capacity;
  return 1;
}

// Parses the string argument with a parser made for it (in the arena, ended by arena_end); NULL
// (with an exception pending, the arena emptied) on failure.
static TSTree *parse_argument(napi_env env, napi_callback_info info, FlatParser **out, TSParser **parser_out) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "expected (parser, source)");
    return NULL;
  }
  FlatParser *p = unwrap(env, argv[0]);
  if (p == NULL) return NULL;
  size_t length = 0;
  if (napi_get_value_string_utf16(env, argv[1], NULL, 0, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "the source must be a string");
    return NULL;
  }
  if (length + 1 > p->text_capacity) {
    uint16_t *text = realloc(p->text, (length + 1) * sizeof(uint16_t));
    if (text == NULL) {
      napi_throw_error(env, "PYFLEET_TREE_FLAT_MEMORY", "out of memory copying the source");
      return NULL;
    }
    p->text = text;
    p->text_capacity = length + 1;
  }
  napi_get_value_string_utf16(env, argv[1], (char16_t *)p->text, length + 1, &length);
  TSParser *parser = arena_parser(env, p->language);
  if (parser == NULL) return NULL;
  TSTree *tree = ts_parser_parse_string_encoding(parser, NULL, (const char *)p->text, (uint32_t)(length * 2), TSInputEncodingUTF16LE);
  if (tree == NULL) {
    arena_end(parser);
    napi_throw_error(env, "PYFLEET_TREE_FLAT_PARSE", "tree-sitter returned no tree");
    return NULL;
  }
  *out = p;
  *parser_out = parser;
  return tree;
}

// parseOnly(parser, source): parses and frees the tree (the bench's floor).
static napi_value parse_only(napi_env env, napi_callback_info info) {
  FlatParser *p = NULL;
  TSParser *parser = NULL;
  if (parse_argument(env, info, &p, &parser) == NULL) return NULL;
  arena_end(parser);
  return NULL;
}

// One level of the walk: the children of a subtree, and what their records inherit from it.
typedef struct {
  const Subtree *children;
  uint32_t count;
  uint32_t index;
  uint32_t structural;  // index among the non-extra children (aliases and fields count these)
  uint32_t next;        // end of the previous child in bytes (the parent's start before the first)
  const TSSymbol *aliases;
  const TSFieldMapEntry *fields;
  const TSFieldMapEntry *fields_end;
  int32_t depth;        // depth of the visible nodes at this level
  TSFieldId inherited;  // field of the hidden parent chain, for children without one of their own
} Level;

typedef struct {
  Level *levels;
  size_t size;
  size_t capacity;
} Levels;

static int levels_push(Levels *l, Subtree parent, const TSLanguage *language, uint32_t start, int32_t depth, TSFieldId inherited) {
  if (l->size == l->capacity) {
    size_t capacity = l->capacity ? l->capacity * 2 : 64;
    Level *levels = realloc(l->levels, capacity * sizeof(Level));
    if (levels == NULL) return 0;
    l->levels = levels;
    l->capacity = capacity;
  }
  uint16_t production = parent.ptr->production_id;
  Level *level = &l->levels[l->size++];
  level->children = ts_subtree_children(parent);
  level->count = parent.ptr->child_count;
  level->index = 0;
  level->structural = 0;
  level->next = start;
  level->aliases = ts_language_alias_sequence(language, production);
  ts_language_field_map(language, production, &level->fields, &level->fields_end);
  level->depth = depth;
  level->inherited = inherited;
  return 1;
}

// The field a production gives its structural child `index` itself (tree-sitter's cursor skips
// inherited entries here too); 0: none.
static TSFieldId own_field(const Level *level, uint32_t index) {
  for (const TSFieldMapEntry *map = level->fields; map < level->fields_end; map++) {
    if (!map->inherited && map->child_index == index) return map->field_id;
  }
  return 0;
}

// Writes one record; 0 when the table cannot grow.
static int emit(FlatParser *p, size_t *count, uint32_t type_id, TSFieldId field, uint32_t start, uint32_t end, int32_t depth, int missing) {
  if (!grow(p, *count + 1)) return 0;
  int32_t *r = p->table + HEADER_INTS + *count * RECORD_INTS;
  r[0] = (int32_t)(type_id | ((uint32_t)field << 16));
  r[1] = (int32_t)(start / 2);
  r[2] = (int32_t)(end / 2);
  r[3] = depth | (missing ? 1 << 30 : 0);
  (*count)++;
  return 1;
}

// Preorder over the visible nodes, as ts_tree_cursor shows them: a hidden subtree's children take
// its place among its parent's (at the parent's depth), an alias makes a hidden child visible and
// names it, a node's field is the first field its parent's production gives it, else that of its
// hidden parents up to the nearest visible one or extra (ts_tree_cursor_current_field_id). An
// explicit stack, not recursion: error recovery can nest subtrees deeper than a C stack allows.
// Returns the record count, or -1 when memory ran out.
static long walk_tree(FlatParser *p, const TSTree *tree, int has_error) {
  const TSLanguage *language = p->language;
  uint32_t error_id = ts_language_symbol_count(language);
  Subtree root = tree->root;
  uint32_t root_start = ts_subtree_padding(root).bytes;
  size_t count = 0;
  TSSymbol root_symbol = ts_language_public_symbol(language, ts_subtree_symbol(root));
  if (!emit(p, &count, root_symbol == ERROR_SYMBOL ? error_id : root_symbol, 0, root_start, root_start + ts_subtree_size(root).bytes, 0,
            has_error && ts_subtree_missing(root))) {
    return -1;
  }
  Levels levels = {NULL, 0, 0};
  if (ts_subtree_child_count(root) > 0 && !levels_push(&levels, root, language, root_start, 1, 0)) return -1;
  while (levels.size > 0) {
    Level *level = &levels.levels[levels.size - 1];
    if (level->index == level->count) {
      levels.size--;
      continue;
    }
    Subtree child = level->children[level->index];
    uint32_t start = level->index == 0 ? level->next : level->next + ts_subtree_padding(child).bytes;
    uint32_t end = start + ts_subtree_size(child).bytes;
    level->index++;
    level->next = end;
    int extra = ts_subtree_extra(child);
    TSSymbol alias = 0;
    TSFieldId field = 0;
    if (!extra) {
      if (level->aliases) alias = level->aliases[level->structural];
      field = own_field(level, level->structural);
      if (field == 0) field = level->inherited;
      level->structural++;
    }
    int32_t depth = level->depth;
    if (ts_subtree_visible(child) || alias) {
      TSSymbol symbol = ts_language_public_symbol(language, alias ? alias : ts_subtree_symbol(child));
      if (!emit(p, &count, symbol == ERROR_SYMBOL ? error_id : symbol, field, start, end, depth, has_error && ts_subtree_missing(child))) {
        free(levels.levels);
        return -1;
      }
      depth++;
      field = 0;  // a visible node's children start a chain of their own
    }
    // `level` may move when the stack grows: nothing of it is read after this
    if (ts_subtree_child_count(child) > 0 && !levels_push(&levels, child, language, start, depth, field)) {
      free(levels.levels);
      return -1;
    }
  }
  free(levels.levels);
  return (long)count;
}

// parse(parser, source) -> Int32Array (layout above)
static napi_value parse(napi_env env, napi_callback_info info) {
  FlatParser *p = NULL;
  TSParser *parser = NULL;
  TSTree *tree = parse_argument(env, info, &p, &parser);
  if (tree == NULL) return NULL;
  int has_error = ts_node_has_error(ts_tree_root_node(tree));
  long walked = walk_tree(p, tree, has_error);
  // the tree is in the arena
  arena_end(parser);
  if (walked < 0) {
    napi_throw_error(env, "PYFLEET_TREE_FLAT_MEMORY", "out of memory for the node table");
    return NULL;
  }
  size_t count = (size_t)walked;
  p->table[0] = has_error;
  p->table[1] = (int32_t)count;
  size_t bytes = (HEADER_INTS + count * RECORD_INTS) * sizeof(int32_t);
  void *data = NULL;
  napi_value buffer, array;
  CHECK(env, napi_create_arraybuffer(env, bytes, &data, &buffer));
  memcpy(data, p->table, bytes);
  CHECK(env, napi_create_typedarray(env, napi_int32_array, HEADER_INTS + count * RECORD_INTS, buffer, 0, &array));
  return array;
}

static napi_value init(napi_env env, napi_value exports) {
  // this addon's own copy of the library (hidden symbols, -Bsymbolic): no other user of tree-sitter sees it
  ts_set_allocator(arena_malloc, arena_calloc, arena_realloc, arena_free);
  napi_property_descriptor props[] = {
      {"createParser", NULL, create_parser, NULL, NULL, NULL, napi_default, NULL},
      {"names", NULL, names, NULL, NULL, NULL, napi_default, NULL},
      {"parse", NULL, parse, NULL, NULL, NULL, napi_default, NULL},
      {"parseOnly", NULL, parse_only, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value record_ints;
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  if (napi_create_int32(env, RECORD_INTS, &record_ints) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "RECORD_INTS", record_ints) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
