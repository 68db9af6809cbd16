/* The environment rules run in: the customer table, the fact tables linked to it, now()
 * and other segments' memberships. Linking builds, once, the index aggregates need: fact
 * rows grouped by customer row with a counting sort (stable, O(rows), no comparisons),
 * as CSR offsets + permutation, plus each fact row's owner for where clauses that read
 * customer fields. For 10 M customers and 20 M fact rows that is 80 MB of offsets, 80 MB
 * of permutation and 80 MB of owners. The key lookup is a direct array when int64 keys
 * are dense (ids 1..n), a hash table otherwise, and for string keys a map between the
 * two dictionaries (each distinct string looked up once). The grouping can also be built
 * on its own (segkit_link_index_new) and lent to many environments over the same
 * customers: a server keeps it beside the fact table it cached. */
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "segment/segment_int.h"

sk__strview *sk__dict_views(const segkit_column *c) {
  uint32_t n = segkit_column_dict_size(c);
  sk__strview *v = malloc((n > 0 ? n : 1) * sizeof *v);
  if (v == NULL) {
    return NULL;
  }
  const uint64_t *off = NULL;
  const char *bytes = NULL;
  segkit_column_dict_arrays(c, &off, &bytes);
  for (uint32_t i = 0; i < n; i++) {
    v[i].p = bytes + off[i];
    v[i].n = (uint32_t)(off[i + 1] - off[i] - 1);
  }
  return v;
}

static void free_views(sk__strview **views, size_t n) {
  if (views == NULL) {
    return;
  }
  for (size_t i = 0; i < n; i++) {
    free(views[i]);
  }
  free(views);
}

static sk__strview **table_views(const segkit_table *t) {
  size_t n = segkit_table_n_cols(t);
  sk__strview **views = calloc(n > 0 ? n : 1, sizeof *views);
  if (views == NULL) {
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    const segkit_column *c = segkit_table_column(t, i);
    if (segkit_column_type(c) == SEGKIT_TYPE_STRING) {
      views[i] = sk__dict_views(c);
      if (views[i] == NULL) {
        free_views(views, n);
        return NULL;
      }
    }
  }
  return views;
}

/* ---- key index: int64 keys in an open-addressing table ---------------------------- */

typedef struct key_index {
  int64_t *keys;
  int32_t *rows; /* -1 = empty slot */
  size_t mask;
  /* Dense int64 keys (range under 2 n, as ids 1..n usually are): row of key - min. */
  int32_t *dense;
  int64_t min;
  uint64_t range;
  /* string keys: customer row of each customer dictionary code */
  int32_t *row_of_code;
} key_index;

static void key_index_free(key_index *ix) {
  free(ix->dense);
  free(ix->keys);
  free(ix->rows);
  free(ix->row_of_code);
}

static size_t slot_of(const key_index *ix, int64_t key) {
  return (size_t)sk__hash_bytes(&key, sizeof key, 0x5e6) & ix->mask;
}

/* The direct-index variant when keys are dense; leaves ix->dense NULL otherwise. */
static segkit_status build_dense(const segkit_rule_env *env, const segkit_column *kc, key_index *ix,
                                 segkit_error *err) {
  size_t n = env->n_rows;
  const int64_t *keys = segkit_column_int64(kc);
  int64_t lo = INT64_MAX;
  int64_t hi = INT64_MIN;
  for (size_t r = 0; r < n; r++) {
    if (segkit_column_is_valid(kc, r)) {
      lo = keys[r] < lo ? keys[r] : lo;
      hi = keys[r] > hi ? keys[r] : hi;
    }
  }
  /* hi - lo computed modulo 2^64 is exact: the true difference is below 2^64. */
  if (lo > hi || (uint64_t)hi - (uint64_t)lo >= 2 * (uint64_t)n + 64) {
    return SEGKIT_OK;
  }
  uint64_t range = (uint64_t)hi - (uint64_t)lo + 1;
  ix->dense = malloc(range * sizeof *ix->dense);
  if (ix->dense == NULL) {
    return SEGKIT_OK; /* the hash table may still fit */
  }
  memset(ix->dense, 0xff, range * sizeof *ix->dense);
  ix->min = lo;
  ix->range = range;
  for (size_t r = 0; r < n; r++) {
    if (!segkit_column_is_valid(kc, r)) {
      continue;
    }
    uint64_t k = (uint64_t)keys[r] - (uint64_t)lo;
    if (ix->dense[k] >= 0) {
      free(ix->dense);
      ix->dense = NULL;
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, segkit_column_name(kc),
                                 "customer key %lld repeats at row %zu (expected unique keys)",
                                 (long long)keys[r], r + 1);
    }
    ix->dense[k] = (int32_t)r;
  }
  return SEGKIT_OK;
}

static segkit_status key_index_build(const segkit_rule_env *env, key_index *ix, segkit_error *err) {
  const segkit_column *kc = segkit_table_column(env->customers, (size_t)env->key_col);
  size_t n = env->n_rows;
  memset(ix, 0, sizeof *ix);
  if (segkit_column_type(kc) == SEGKIT_TYPE_STRING) {
    uint32_t dn = segkit_column_dict_size(kc);
    ix->row_of_code = malloc((dn > 0 ? dn : 1) * sizeof *ix->row_of_code);
    if (ix->row_of_code == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the key index");
    }
    memset(ix->row_of_code, 0xff, (dn > 0 ? dn : 1) * sizeof *ix->row_of_code);
    const uint32_t *codes = segkit_column_codes(kc);
    for (size_t r = 0; r < n; r++) {
      if (!segkit_column_is_valid(kc, r)) {
        continue;
      }
      if (ix->row_of_code[codes[r]] >= 0) {
        key_index_free(ix);
        return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, segkit_column_name(kc),
                                   "customer key \"%s\" repeats at row %zu (expected unique keys)",
                                   segkit_column_dict_value(kc, codes[r], NULL), r + 1);
      }
      ix->row_of_code[codes[r]] = (int32_t)r;
    }
    return SEGKIT_OK;
  }
  segkit_status dense_status = build_dense(env, kc, ix, err);
  if (dense_status != SEGKIT_OK || ix->dense != NULL) {
    return dense_status;
  }
  size_t cap = 16;
  while (cap < n * 2) {
    cap *= 2;
  }
  ix->mask = cap - 1;
  ix->keys = malloc(cap * sizeof *ix->keys);
  ix->rows = malloc(cap * sizeof *ix->rows);
  if (ix->keys == NULL || ix->rows == NULL) {
    key_index_free(ix);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the key index");
  }
  memset(ix->rows, 0xff, cap * sizeof *ix->rows);
  const int64_t *keys = segkit_column_int64(kc);
  for (size_t r = 0; r < n; r++) {
    if (!segkit_column_is_valid(kc, r)) {
      continue;
    }
    size_t s = slot_of(ix, keys[r]);
    while (ix->rows[s] >= 0 && ix->keys[s] != keys[r]) {
      s = (s + 1) & ix->mask;
    }
    if (ix->rows[s] >= 0) {
      key_index_free(ix);
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, segkit_column_name(kc),
                                 "customer key %lld repeats at row %zu (expected unique keys)",
                                 (long long)keys[r], r + 1);
    }
    ix->keys[s] = keys[r];
    ix->rows[s] = (int32_t)r;
  }
  return SEGKIT_OK;
}

static int32_t key_lookup(const key_index *ix, int64_t key) {
  if (ix->dense != NULL) {
    uint64_t k = (uint64_t)key - (uint64_t)ix->min;
    return k < ix->range ? ix->dense[k] : -1;
  }
  size_t s = slot_of(ix, key);
  while (ix->rows[s] >= 0) {
    if (ix->keys[s] == key) {
      return ix->rows[s];
    }
    s = (s + 1) & ix->mask;
  }
  return -1;
}

/* ---- environment ------------------------------------------------------------------ */

segkit_status segkit_rule_env_new(const segkit_table *customers, const char *key, int64_t now_us,
                                  segkit_rule_env **out, segkit_error *err) {
  if (customers == NULL || key == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_rule_env_new: NULL argument");
  }
  if (segkit_table_n_rows(customers) > (size_t)INT32_MAX) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "more than 2^31 - 1 customers");
  }
  long kc = segkit_table_column_index(customers, key);
  if (kc < 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, key,
                               "no customer key column '%s'", key);
  }
  segkit_type kt = segkit_column_type(segkit_table_column(customers, (size_t)kc));
  if (kt != SEGKIT_TYPE_INT64 && kt != SEGKIT_TYPE_STRING) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, key,
                               "customer key is %s (expected int64 or string)", segkit_type_name(kt));
  }
  segkit_rule_env *env = calloc(1, sizeof *env);
  if (env == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  env->customers = customers;
  env->key_col = kc;
  env->n_rows = segkit_table_n_rows(customers);
  env->now_us = now_us;
  env->views = table_views(customers);
  if (env->views == NULL) {
    free(env);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  /* Check uniqueness now, so that a bad key is reported where it is given. */
  key_index ix;
  segkit_status s = key_index_build(env, &ix, err);
  if (s != SEGKIT_OK) {
    segkit_rule_env_free(env);
    return s;
  }
  key_index_free(&ix);
  *out = env;
  return SEGKIT_OK;
}

static void link_free(sk__link *l) {
  free(l->name);
  if (!l->borrowed) {
    free(l->off);
    free(l->perm);
    free(l->owner);
  }
  free_views(l->views, segkit_table_n_cols(l->facts));
}

void segkit_rule_env_free(segkit_rule_env *env) {
  if (env == NULL) {
    return;
  }
  free_views(env->views, segkit_table_n_cols(env->customers));
  for (size_t i = 0; i < env->n_links; i++) {
    link_free(&env->links[i]);
  }
  free(env->links);
  for (size_t i = 0; i < env->n_segments; i++) {
    free(env->segments[i].name);
    free(env->segments[i].bits);
  }
  free(env->segments);
  free(env);
}

int sk__env_find_link(const segkit_rule_env *env, const char *name, size_t len) {
  for (size_t i = 0; i < env->n_links; i++) {
    if (strlen(env->links[i].name) == len && memcmp(env->links[i].name, name, len) == 0) {
      return (int)i;
    }
  }
  return -1;
}

const sk__segbits *sk__env_find_segment(const segkit_rule_env *env, const char *name) {
  for (size_t i = 0; i < env->n_segments; i++) {
    if (strcmp(env->segments[i].name, name) == 0) {
      return &env->segments[i];
    }
  }
  return NULL;
}

/* owner[r] for every fact row: the customer row whose key it carries, or -1. */
static segkit_status find_owners(const segkit_rule_env *env, sk__link *l, const key_index *ix,
                                 segkit_error *err) {
  const segkit_column *fc = segkit_table_column(l->facts, (size_t)l->cust_col);
  const segkit_column *kc = segkit_table_column(env->customers, (size_t)env->key_col);
  size_t n = segkit_table_n_rows(l->facts);
  if (segkit_column_type(fc) == SEGKIT_TYPE_INT64) {
    const int64_t *v = segkit_column_int64(fc);
    for (size_t r = 0; r < n; r++) {
      l->owner[r] = segkit_column_is_valid(fc, r) ? key_lookup(ix, v[r]) : -1;
    }
    return SEGKIT_OK;
  }
  uint32_t dn = segkit_column_dict_size(fc);
  int32_t *row_of_fact_code = malloc((dn > 0 ? dn : 1) * sizeof *row_of_fact_code);
  if (row_of_fact_code == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory linking '%s'", l->name);
  }
  for (uint32_t c = 0; c < dn; c++) {
    size_t len = 0;
    const char *s = segkit_column_dict_value(fc, c, &len);
    int64_t kcode = segkit_column_dict_find(kc, s, len);
    row_of_fact_code[c] = kcode >= 0 ? ix->row_of_code[kcode] : -1;
  }
  const uint32_t *codes = segkit_column_codes(fc);
  for (size_t r = 0; r < n; r++) {
    l->owner[r] = segkit_column_is_valid(fc, r) ? row_of_fact_code[codes[r]] : -1;
  }
  free(row_of_fact_code);
  return SEGKIT_OK;
}

/* Counting sort of fact rows by owner: off[] then perm[], stable. */
static void group_rows(const segkit_rule_env *env, sk__link *l) {
  size_t n = segkit_table_n_rows(l->facts);
  size_t nc = env->n_rows;
  memset(l->off, 0, (nc + 1) * sizeof *l->off);
  for (size_t r = 0; r < n; r++) {
    if (l->owner[r] >= 0) {
      l->off[l->owner[r] + 1]++;
    }
  }
  for (size_t c = 0; c < nc; c++) {
    l->off[c + 1] += l->off[c];
  }
  /* off[c] is used as the fill cursor, then restored from the next one. */
  for (size_t r = 0; r < n; r++) {
    if (l->owner[r] >= 0) {
      l->perm[l->off[l->owner[r]]++] = (uint32_t)r;
    }
  }
  for (size_t c = nc; c > 0; c--) {
    l->off[c] = l->off[c - 1];
  }
  l->off[0] = 0;
}

/* The arguments of a link (a name not linked yet is the caller's check). */
static segkit_status check_link_args(const segkit_rule_env *env, const char *name,
                                     const segkit_table *facts, const char *customer_column,
                                     const char *time_column, long *cc, long *tc,
                                     segkit_error *err) {
  if (name == NULL || facts == NULL || customer_column == NULL || name[0] == '\0') {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_rule_env_link: NULL or empty argument");
  }
  if (segkit_table_n_rows(facts) > UINT32_MAX) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "'%s' has more than 2^32 - 1 rows", name);
  }
  *cc = segkit_table_column_index(facts, customer_column);
  if (*cc < 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, customer_column,
                               "'%s' has no column '%s'", name, customer_column);
  }
  segkit_type kt = segkit_column_type(segkit_table_column(env->customers, (size_t)env->key_col));
  segkit_type ft = segkit_column_type(segkit_table_column(facts, (size_t)*cc));
  if (kt != ft) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, customer_column,
                               "'%s.%s' is %s but the customer key is %s (expected the same type)",
                               name, customer_column, segkit_type_name(ft), segkit_type_name(kt));
  }
  *tc = -1;
  if (time_column != NULL) {
    *tc = segkit_table_column_index(facts, time_column);
    if (*tc < 0) {
      return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, time_column,
                                 "'%s' has no column '%s'", name, time_column);
    }
    segkit_type tt = segkit_column_type(segkit_table_column(facts, (size_t)*tc));
    if (tt != SEGKIT_TYPE_DATE && tt != SEGKIT_TYPE_TIMESTAMP) {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, time_column,
                                 "time column '%s.%s' is %s (expected date or timestamp)", name,
                                 time_column, segkit_type_name(tt));
    }
  }
  return SEGKIT_OK;
}

/* check_link_args for a link to be added under `name`, which must be free. */
static segkit_status check_new_link(const segkit_rule_env *env, const char *name,
                                    const segkit_table *facts, const char *customer_column,
                                    const char *time_column, long *cc, long *tc,
                                    segkit_error *err) {
  segkit_status s = check_link_args(env, name, facts, customer_column, time_column, cc, tc, err);
  if (s == SEGKIT_OK && sk__env_find_link(env, name, strlen(name)) >= 0) {
    s = segkit_error_set(err, SEGKIT_ERR_EXISTS, "a table is already linked as '%s'", name);
  }
  return s;
}

/* ---- the index of a fact table by customer ------------------------------------------- */

struct segkit_link_index {
  const segkit_table *facts;
  long cust_col;
  size_t n_customers;
  uint64_t *off;
  uint32_t *perm;
  int32_t *owner;
};

void segkit_link_index_free(segkit_link_index *ix) {
  if (ix == NULL) {
    return;
  }
  free(ix->off);
  free(ix->perm);
  free(ix->owner);
  free(ix);
}

size_t segkit_link_index_memory_bytes(const segkit_link_index *ix) {
  if (ix == NULL) {
    return 0;
  }
  size_t n = segkit_table_n_rows(ix->facts);
  return sizeof *ix + (ix->n_customers + 1) * sizeof *ix->off + n * sizeof *ix->perm +
         n * sizeof *ix->owner;
}

/* Build into ix (cust_col set): owners through the customers' key index, then the
 * grouping. l is the link the grouping fills (its facts, name and arrays are ix's). */
static segkit_status index_build(const segkit_rule_env *env, segkit_link_index *ix,
                                 const char *name, segkit_error *err) {
  size_t n = segkit_table_n_rows(ix->facts);
  ix->n_customers = env->n_rows;
  ix->off = malloc((env->n_rows + 1) * sizeof *ix->off);
  ix->perm = malloc((n > 0 ? n : 1) * sizeof *ix->perm);
  ix->owner = malloc((n > 0 ? n : 1) * sizeof *ix->owner);
  if (ix->off == NULL || ix->perm == NULL || ix->owner == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory linking '%s'", name);
  }
  sk__link l = {.name = (char *)name,
                .facts = ix->facts,
                .cust_col = ix->cust_col,
                .off = ix->off,
                .perm = ix->perm,
                .owner = ix->owner};
  key_index kix = {0};
  segkit_status s = key_index_build(env, &kix, err);
  if (s == SEGKIT_OK) {
    s = find_owners(env, &l, &kix, err);
  }
  key_index_free(&kix);
  if (s == SEGKIT_OK) {
    group_rows(env, &l);
  }
  return s;
}

segkit_status segkit_link_index_new(const segkit_rule_env *env, const segkit_table *facts,
                                    const char *customer_column, segkit_link_index **out,
                                    segkit_error *err) {
  if (env == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_link_index_new: NULL argument");
  }
  long cc = -1;
  long tc = -1;
  segkit_status s =
      check_link_args(env, "the fact table", facts, customer_column, NULL, &cc, &tc, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_link_index *ix = calloc(1, sizeof *ix);
  if (ix == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  ix->facts = facts;
  ix->cust_col = cc;
  s = index_build(env, ix, segkit_column_name(segkit_table_column(facts, (size_t)cc)), err);
  if (s != SEGKIT_OK) {
    segkit_link_index_free(ix);
    return s;
  }
  *out = ix;
  return SEGKIT_OK;
}

/* Link `name` with the grouping arrays of ix: borrowed (ix outlives env) or taken. */
static segkit_status link_with(segkit_rule_env *env, const char *name, const segkit_table *facts,
                               long cc, long tc, const segkit_link_index *ix, bool borrowed,
                               segkit_error *err) {
  sk__link *links = realloc(env->links, (env->n_links + 1) * sizeof *links);
  if (links == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  env->links = links;
  sk__link l = {.facts = facts,
                .cust_col = cc,
                .time_col = tc,
                .off = ix->off,
                .perm = ix->perm,
                .owner = ix->owner,
                .borrowed = borrowed};
  l.name = malloc(strlen(name) + 1);
  l.views = table_views(facts);
  if (l.name == NULL || l.views == NULL) {
    l.borrowed = true; /* the arrays stay the caller's on failure */
    link_free(&l);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory linking '%s'", name);
  }
  strcpy(l.name, name);
  env->links[env->n_links++] = l;
  return SEGKIT_OK;
}

segkit_status segkit_rule_env_link(segkit_rule_env *env, const char *name,
                                   const segkit_table *facts, const char *customer_column,
                                   const char *time_column, segkit_error *err) {
  if (env == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_rule_env_link: NULL env");
  }
  long cc = -1;
  long tc = -1;
  segkit_status s = check_new_link(env, name, facts, customer_column, time_column, &cc, &tc, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_link_index ix = {.facts = facts, .cust_col = cc};
  s = index_build(env, &ix, name, err);
  if (s == SEGKIT_OK) {
    s = link_with(env, name, facts, cc, tc, &ix, false, err);
  }
  if (s != SEGKIT_OK) {
    free(ix.off);
    free(ix.perm);
    free(ix.owner);
  }
  return s;
}

segkit_status segkit_rule_env_link_indexed(segkit_rule_env *env, const char *name,
                                           const segkit_table *facts, const char *customer_column,
                                           const char *time_column, const segkit_link_index *ix,
                                           segkit_error *err) {
  if (env == NULL || ix == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_rule_env_link_indexed: NULL argument");
  }
  long cc = -1;
  long tc = -1;
  segkit_status s = check_new_link(env, name, facts, customer_column, time_column, &cc, &tc, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (ix->facts != facts || ix->cust_col != cc || ix->n_customers != env->n_rows) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "segkit_rule_env_link_indexed: the index of '%s' was built for "
                            "another table, column or customers (expected one from "
                            "segkit_link_index_new over these)",
                            name);
  }
  return link_with(env, name, facts, cc, tc, ix, true, err);
}

segkit_status segkit_rule_env_add_segment(segkit_rule_env *env, const char *name,
                                          const uint64_t *bits, segkit_error *err) {
  if (env == NULL || name == NULL || bits == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_rule_env_add_segment: NULL argument");
  }
  if (sk__env_find_segment(env, name) != NULL) {
    return segkit_error_set(err, SEGKIT_ERR_EXISTS, "segment '%s' is already in the environment", name);
  }
  size_t words = (env->n_rows + 63) / 64;
  sk__segbits sb = {.name = malloc(strlen(name) + 1), .bits = malloc((words > 0 ? words : 1) * 8)};
  sk__segbits *fresh = realloc(env->segments, (env->n_segments + 1) * sizeof *fresh);
  if (fresh != NULL) {
    env->segments = fresh;
  }
  if (sb.name == NULL || sb.bits == NULL || fresh == NULL) {
    free(sb.name);
    free(sb.bits);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  strcpy(sb.name, name);
  memcpy(sb.bits, bits, words * 8);
  if (env->n_rows % 64 != 0 && words > 0) {
    /* Bits past the last row are not members, whatever the caller left there. */
    sb.bits[words - 1] &= (UINT64_C(1) << (env->n_rows % 64)) - 1;
  }
  env->segments[env->n_segments++] = sb;
  return SEGKIT_OK;
}
