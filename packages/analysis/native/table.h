// pyfleet's tree-sitter addon: the node table (table.c), in the layout tree_flat.c documents.
#ifndef PYFLEET_TABLE_H
#define PYFLEET_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "tree_sitter/api.h"

#define RECORD_INTS 4
#define HEADER_INTS 2
// tree-sitter's id of ERROR nodes (ts_builtin_sym_error in its private parser.h); the table writes
// the grammar's symbol count instead
#define ERROR_SYMBOL ((TSSymbol)-1)

// The table, grown as needed and kept between parses.
typedef struct {
  int32_t *data;
  size_t capacity;  // records
} Table;

// Writes the header and a record for every node of `tree`, as tree-sitter's cursor shows them.
// Returns the record count, or -1 when memory ran out.
long table_walk(Table *table, const TSTree *tree);

#endif
