/* Column mapping shared by the MRR and revenue engines: finding a mapped column and
 * checking its type, resolving a currency dictionary to exchange rates, copying names.
 *
 * Key design choice: both engines take a table plus a mapping of roles to column names,
 * and must report a bad mapping the same way (the column, its role, the types expected),
 * so the lookup is one function given the role's name and the kind of values it needs;
 * what differs (which roles are required, which kinds they take) stays with each engine's
 * own table of roles. The per-row accessors (null, number, day, customer key) are inline
 * in metrics_int.h because they run in the engines' hot loops. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics/metrics_int.h"

static bool kind_accepts(sk__col_kind kind, segkit_type t) {
  switch (kind) {
  case SK__COL_NUMBER:
    return t == SEGKIT_TYPE_INT64 || t == SEGKIT_TYPE_FLOAT64;
  case SK__COL_DAY:
    return t == SEGKIT_TYPE_DATE || t == SEGKIT_TYPE_TIMESTAMP;
  case SK__COL_STRING:
    return t == SEGKIT_TYPE_STRING;
  case SK__COL_KEY:
    return t == SEGKIT_TYPE_INT64 || t == SEGKIT_TYPE_STRING;
  }
  return false;
}

static const char *kind_expected(sk__col_kind kind) {
  switch (kind) {
  case SK__COL_NUMBER:
    return "int64 or float64";
  case SK__COL_DAY:
    return "date or timestamp";
  case SK__COL_STRING:
    return "string";
  case SK__COL_KEY:
    return "int64 or string";
  }
  return "?";
}

segkit_status sk__find_column(const segkit_table *t, const char *name, const char *role,
                              bool required, sk__col_kind kind, sk__colref *out,
                              segkit_error *err) {
  out->col = NULL;
  out->name = name;
  if (name == NULL) {
    if (required) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "no column mapped for the %s (expected a column name)", role);
    }
    return SEGKIT_OK;
  }
  long i = segkit_table_column_index(t, name);
  if (i < 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, name,
                               "column '%s' (the %s) is not in the table", name, role);
  }
  const segkit_column *c = segkit_table_column(t, (size_t)i);
  segkit_type ty = segkit_column_type(c);
  if (!kind_accepts(kind, ty)) {
    return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, name,
                               "column '%s' (the %s) is %s (expected %s)", name, role,
                               segkit_type_name(ty), kind_expected(kind));
  }
  out->col = c;
  out->type = ty;
  return SEGKIT_OK;
}

segkit_status sk__resolve_rates(const segkit_column *currency, const segkit_mrr_rate *rates,
                                size_t n_rates, double **out, segkit_error *err) {
  for (size_t i = 0; i < n_rates; i++) {
    double r = rates[i].rate;
    if (rates[i].currency == NULL || !(r > 0.0) || !isfinite(r)) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "exchange rate %zu is invalid (expected a currency and a "
                              "finite rate > 0)",
                              i + 1);
    }
  }
  uint32_t nc = segkit_column_dict_size(currency);
  double *rate_of_code = calloc((size_t)nc + 1, sizeof *rate_of_code);
  if (rate_of_code == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the currencies");
  }
  /* Each distinct currency is looked up once; a row then costs one array read. */
  for (uint32_t code = 0; code < nc; code++) {
    const char *s = segkit_column_dict_value(currency, code, NULL);
    for (size_t i = 0; i < n_rates; i++) {
      if (strcasecmp(s, rates[i].currency) == 0) {
        rate_of_code[code] = rates[i].rate;
        break;
      }
    }
  }
  *out = rate_of_code;
  return SEGKIT_OK;
}

segkit_status sk__copy_column_names(const sk__colref *f, int n, char **out, segkit_error *err) {
  for (int i = 0; i < n; i++) {
    if (f[i].name == NULL) {
      continue;
    }
    out[i] = sk__dup_string(f[i].name);
    if (out[i] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for column names");
    }
  }
  return SEGKIT_OK;
}

char *sk__dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p != NULL) {
    memcpy(p, s, n);
  }
  return p;
}
