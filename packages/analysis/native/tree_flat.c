// pyfleet's tree-sitter addon: parses Python with tree-sitter's C library and hands the whole
// tree to JS in one call, as a flat table, instead of one call into native code per cursor move
// (the tree copy's whole cost through the public bindings, docs/performance.md "Analysis: the
// floor"). The grammar is the one tree-sitter-python's own binding exports (its `language`
// External), so both native engines parse with the same tables. tree-sitter allocates from an
// arena per call (arena.c); the table comes from a walk over the tree (table.c).
//
// Table layout (Int32Array): [hasError, count, then count records of RECORD_INTS ints]
//   0: public type id (ts_node_symbol; ERROR, 65535 there, is written as the grammar's symbol count,
//      so JS tables indexed by type id stay dense) | field id << 16 (the cursor's field id, 0: none)
//   1: start index, 2: end index (UTF-16 code units, as JS strings count)
//   3: depth below the root (root 0) | missing << 30
// Records are in document order: the visible nodes, exactly what the cursor of either public
// binding visits.

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "table.h"
#include "tree_sitter/api.h"

typedef struct {
  const TSLanguage *language;
  Table table;
  uint16_t *text;  // the source as UTF-16, grown as needed
  size_t text_capacity;
} FlatParser;

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
  free(p->table.data);
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

// parse(parser, source) -> Int32Array (layout above)
static napi_value parse(napi_env env, napi_callback_info info) {
  FlatParser *p = NULL;
  TSParser *parser = NULL;
  TSTree *tree = parse_argument(env, info, &p, &parser);
  if (tree == NULL) return NULL;
  long walked = table_walk(&p->table, tree);
  // the tree is in the arena
  arena_end(parser);
  if (walked < 0) {
    napi_throw_error(env, "PYFLEET_TREE_FLAT_MEMORY", "out of memory for the node table");
    return NULL;
  }
  size_t ints = HEADER_INTS + (size_t)walked * RECORD_INTS;
  void *data = NULL;
  napi_value buffer, array;
  CHECK(env, napi_create_arraybuffer(env, ints * sizeof(int32_t), &data, &buffer));
  memcpy(data, p->table.data, ints * sizeof(int32_t));
  CHECK(env, napi_create_typedarray(env, napi_int32_array, ints, buffer, 0, &array));
  return array;
}

static napi_value init(napi_env env, napi_value exports) {
  // this addon's own copy of the library (hidden symbols, -Bsymbolic): no other user of tree-sitter sees it
  arena_install();
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
