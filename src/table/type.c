/* Column types: names for messages and schemas, parsing of user-given type names, and
 * the storage size and class of each type. One table holds all of it, so adding a type
 * is one row here plus its storage in the builders. */
#include <stddef.h>

#include "table/table_int.h"

static const struct {
  const char *name;
  size_t size;
  sk__storage storage;
} type_table[SEGKIT_TYPE_COUNT] = {
    [SEGKIT_TYPE_INT64] = {"int64", sizeof(int64_t), SK_STORE_I64},
    [SEGKIT_TYPE_FLOAT64] = {"float64", sizeof(double), SK_STORE_F64},
    [SEGKIT_TYPE_BOOL] = {"bool", sizeof(uint8_t), SK_STORE_U8},
    [SEGKIT_TYPE_TIMESTAMP] = {"timestamp", sizeof(int64_t), SK_STORE_I64},
    [SEGKIT_TYPE_DATE] = {"date", sizeof(int32_t), SK_STORE_I32},
    [SEGKIT_TYPE_STRING] = {"string", sizeof(uint32_t), SK_STORE_CODE},
};

/* Accepted spellings besides the canonical names. */
static const struct {
  const char *alias;
  segkit_type type;
} type_aliases[] = {
    {"int", SEGKIT_TYPE_INT64},          {"integer", SEGKIT_TYPE_INT64},
    {"float", SEGKIT_TYPE_FLOAT64},      {"double", SEGKIT_TYPE_FLOAT64},
    {"number", SEGKIT_TYPE_FLOAT64},     {"boolean", SEGKIT_TYPE_BOOL},
    {"datetime", SEGKIT_TYPE_TIMESTAMP}, {"text", SEGKIT_TYPE_STRING},
    {"str", SEGKIT_TYPE_STRING},
};

bool sk__type_valid(segkit_type t) {
  return (int)t >= 0 && t < SEGKIT_TYPE_COUNT;
}

size_t sk__type_size(segkit_type t) {
  return type_table[t].size;
}

sk__storage sk__type_storage(segkit_type t) {
  return type_table[t].storage;
}

const char *segkit_type_name(segkit_type t) {
  return sk__type_valid(t) ? type_table[t].name : "unknown";
}

/* ASCII case-insensitive equality; type names are ASCII and the locale must not matter. */
static bool equal_nocase(const char *a, const char *b) {
  for (;; a++, b++) {
    char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
    if (ca != *b) {
      return false;
    }
    if (ca == '\0') {
      return true;
    }
  }
}

segkit_status segkit_type_parse(const char *name, segkit_type *out, segkit_error *err) {
  if (name == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "no type name given");
  }
  for (int t = 0; t < SEGKIT_TYPE_COUNT; t++) {
    if (equal_nocase(name, type_table[t].name)) {
      *out = (segkit_type)t;
      return SEGKIT_OK;
    }
  }
  for (size_t i = 0; i < sizeof type_aliases / sizeof type_aliases[0]; i++) {
    if (equal_nocase(name, type_aliases[i].alias)) {
      *out = type_aliases[i].type;
      return SEGKIT_OK;
    }
  }
  return segkit_error_set(err, SEGKIT_ERR_USAGE,
                          "unknown type \"%.64s\" (expected int64, float64, bool, timestamp, "
                          "date or string)",
                          name);
}
