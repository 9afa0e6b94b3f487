// pyfleet's tree-sitter addon: the node table, from a walk over the tree's subtrees.
//
// The records are what tree-sitter's cursor (ts_tree_cursor_*) shows, node for node, read by a
// walk that does the cursor's work once per node instead of once per move (the cursor's child
// iteration was ~20 % of a parse and table, perf). Tests compare the copy with web-tree-sitter's
// cursor on every corpus input.
#include "table.h"

#include <stdlib.h>

// tree-sitter's internal headers: the same library version ts_lib.c compiles, from the same folder
#include "language.h"
#include "subtree.h"
#include "tree.h"

static int grow(Table *t, size_t records) {
  if (records <= t->capacity) return 1;
  size_t capacity = t->capacity ? t->capacity : 4096;
  while (capacity < records) capacity *= 2;
  int32_t *table = realloc(t->data, (HEADER_INTS + capacity * RECORD_INTS) * sizeof(int32_t));
  if (table == NULL) return 0;
  t->data = table;
  t->capacity = capacity;
  return 1;
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
static int emit(Table *t, size_t *count, uint32_t type_id, TSFieldId field, uint32_t start, uint32_t end, int32_t depth, int missing) {
  if (!grow(t, *count + 1)) return 0;
  int32_t *r = t->data + HEADER_INTS + *count * RECORD_INTS;
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
long table_walk(Table *t, const TSTree *tree) {
  const TSLanguage *language = tree->language;
  int has_error = ts_subtree_error_cost(tree->root) > 0;
  uint32_t error_id = ts_language_symbol_count(language);
  Subtree root = tree->root;
  uint32_t root_start = ts_subtree_padding(root).bytes;
  size_t count = 0;
  TSSymbol root_symbol = ts_language_public_symbol(language, ts_subtree_symbol(root));
  if (!emit(t, &count, root_symbol == ERROR_SYMBOL ? error_id : root_symbol, 0, root_start, root_start + ts_subtree_size(root).bytes, 0,
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
      if (!emit(t, &count, symbol == ERROR_SYMBOL ? error_id : symbol, field, start, end, depth, has_error && ts_subtree_missing(child))) {
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
  t->data[0] = has_error;
  t->data[1] = (int32_t)count;
  return (long)count;
}

