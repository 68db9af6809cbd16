/* Column mapping for the families: finds a named input column, checks its type against
 * what the role allows and caches its data and validity pointers, so the row loops read
 * flat arrays. Key design choice: a column without nulls gets valid = NULL, which turns the
 * per-row null test into one predictable branch on the hot paths. */
#include <stdio.h>
#include <string.h>

#include "family/family_int.h"

static void type_list(unsigned types, char *buf, size_t size) {
  buf[0] = '\0';
  for (int t = 0; t < SEGKIT_TYPE_COUNT; t++) {
    if ((types >> t & 1u) == 0) {
      continue;
    }
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, "%s%s", used ? " or " : "", segkit_type_name((segkit_type)t));
  }
}

segkit_status sk__fam_find(const segkit_table *t, const char *name, const char *role,
                           unsigned types, bool required, sk__fam_col *out, segkit_error *err) {
  memset(out, 0, sizeof *out);
  if (name == NULL) {
    if (required) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "no column given for the %s (required)",
                              role);
    }
    return SEGKIT_OK;
  }
  long idx = segkit_table_column_index(t, name);
  if (idx < 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, name,
                               "column '%s' (the %s) is not in the table", name, role);
  }
  const segkit_column *c = segkit_table_column(t, (size_t)idx);
  segkit_type ty = segkit_column_type(c);
  if ((types >> ty & 1u) == 0) {
    char want[128];
    type_list(types, want, sizeof want);
    return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, name,
                               "column '%s' (the %s) is %s (expected %s)", name, role,
                               segkit_type_name(ty), want);
  }
  out->col = c;
  out->name = segkit_column_name(c);
  out->type = ty;
  out->valid = segkit_column_null_count(c) > 0 ? segkit_column_validity(c) : NULL;
  switch (ty) {
  case SEGKIT_TYPE_INT64:
    out->data = segkit_column_int64(c);
    break;
  case SEGKIT_TYPE_TIMESTAMP:
    out->data = segkit_column_timestamp(c);
    break;
  case SEGKIT_TYPE_FLOAT64:
    out->data = segkit_column_float64(c);
    break;
  case SEGKIT_TYPE_DATE:
    out->data = segkit_column_date(c);
    break;
  case SEGKIT_TYPE_STRING:
    out->data = segkit_column_codes(c);
    break;
  default:
    out->data = segkit_column_bool(c);
    break;
  }
  return SEGKIT_OK;
}
