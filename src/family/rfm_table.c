/* The RFM result as a table keyed by customer (segkit_rfm_table): the shape the segment
 * layer and the exports take. Key design choice: the score triple column ("545") and the
 * segment column are STRING columns whose dictionaries are the 125 triples and the segment
 * names, so their codes are computed, not looked up. */
#include <stdlib.h>
#include <string.h>

#include "family/family_int.h"

#define N_COLS 9

static segkit_status int64_column(const char *name, size_t n, segkit_column_arrays *col,
                                  int64_t **out, segkit_error *err) {
  memset(col, 0, sizeof *col);
  *out = malloc((n ? n : 1) * sizeof **out);
  if (*out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for column %s", name);
  }
  col->name = name;
  col->type = SEGKIT_TYPE_INT64;
  col->data = *out;
  return SEGKIT_OK;
}

/* Every array of cols is allocated or the call fails (then the caller frees them all). */
static segkit_status alloc_columns(size_t n,
                                   segkit_column_arrays *cols, int64_t **iv, double **money,
                                   uint32_t **rfm, uint32_t **seg, segkit_error *err) {
  static const char *const k_int_names[5] = {"recency_days", "frequency", "r", "f", "m"};
  static const size_t k_pos[5] = {1, 2, 4, 5, 6};
  for (int i = 0; i < 5; i++) {
    segkit_status s = int64_column(k_int_names[i], n, &cols[k_pos[i]], &iv[i], err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  *money = malloc((n ? n : 1) * sizeof **money);
  *rfm = malloc((n ? n : 1) * sizeof **rfm);
  *seg = malloc((n ? n : 1) * sizeof **seg);
  cols[3].data = *money;
  cols[7].data = *rfm;
  cols[8].data = *seg;
  if (*money == NULL || *rfm == NULL || *seg == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
  }
  cols[3].name = "monetary";
  cols[3].type = SEGKIT_TYPE_FLOAT64;
  return SEGKIT_OK;
}

static void fill(const segkit_rfm_result *r, int64_t **iv, double *money, uint32_t *rfm,
                 uint32_t *seg) {
  size_t n = segkit_rfm_n_customers(r);
  const int32_t *rec = segkit_rfm_recency_days(r);
  const int64_t *freq = segkit_rfm_frequency(r);
  const int64_t *net = segkit_rfm_monetary_cents(r);
  const uint8_t *rs = segkit_rfm_r(r);
  const uint8_t *fs = segkit_rfm_f(r);
  const uint8_t *ms = segkit_rfm_m(r);
  const uint16_t *sg = segkit_rfm_segment(r);
  for (size_t i = 0; i < n; i++) {
    iv[0][i] = rec[i];
    iv[1][i] = freq[i];
    iv[2][i] = rs[i];
    iv[3][i] = fs[i];
    iv[4][i] = ms[i];
    money[i] = (double)net[i] / 100.0;
    rfm[i] = (uint32_t)((rs[i] - 1) * 25 + (fs[i] - 1) * 5 + (ms[i] - 1));
    seg[i] = sg[i];
  }
}

static segkit_status label_dicts(const segkit_rfm_result *r, segkit_column_arrays *cols,
                                 uint64_t **off, char **bytes, segkit_error *err) {
  char triples[125][4];
  const char *tp[125];
  for (int i = 0; i < 125; i++) {
    triples[i][0] = (char)('1' + i / 25);
    triples[i][1] = (char)('1' + i / 5 % 5);
    triples[i][2] = (char)('1' + i % 5);
    triples[i][3] = '\0';
    tp[i] = triples[i];
  }
  segkit_status s = sk__fam_label_column("rfm", tp, 125, (uint32_t *)cols[7].data, &cols[7],
                                         &off[0], &bytes[0], err);
  if (s != SEGKIT_OK) {
    return s;
  }
  size_t ns = segkit_rfm_n_segments(r);
  const char *names[65];
  for (size_t i = 0; i < ns; i++) {
    names[i] = segkit_rfm_segment_name(r, i);
  }
  return sk__fam_label_column("segment", names, ns, (uint32_t *)cols[8].data, &cols[8], &off[1],
                              &bytes[1], err);
}

static segkit_status customer_column(const segkit_rfm_result *r, const segkit_table *t,
                                     segkit_column_arrays *col, segkit_error *err) {
  const char *name = NULL;
  segkit_type type = SEGKIT_TYPE_INT64;
  sk__rfm_customer_column(r, &name, &type);
  long idx = segkit_table_column_index(t, name);
  const segkit_column *c = idx < 0 ? NULL : segkit_table_column(t, (size_t)idx);
  size_t n = segkit_rfm_n_customers(r);
  bool same = c != NULL && segkit_column_type(c) == type;
  if (same && type == SEGKIT_TYPE_STRING && n > 0) {
    same = segkit_rfm_keys(r)[n - 1] < (int64_t)segkit_column_dict_size(c);
  }
  if (!same) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, name,
                               "customer column '%s' is missing or different (expected the "
                               "table the RFM result was computed from)",
                               name);
  }
  return sk__fam_customer_column(c, segkit_rfm_keys(r), n, col, err);
}

segkit_status segkit_rfm_table(const segkit_rfm_result *r, const segkit_table *transactions,
                               segkit_table **out, segkit_error *err) {
  if (r == NULL || transactions == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_rfm_table: NULL argument");
  }
  size_t n = segkit_rfm_n_customers(r);
  segkit_column_arrays cols[N_COLS];
  memset(cols, 0, sizeof cols);
  int64_t *iv[5] = {NULL};
  double *money = NULL;
  uint32_t *rfm = NULL;
  uint32_t *seg = NULL;
  uint64_t *off[2] = {NULL, NULL};
  char *bytes[2] = {NULL, NULL};
  segkit_status s = customer_column(r, transactions, &cols[0], err);
  if (s == SEGKIT_OK) {
    s = alloc_columns(n, cols, iv, &money, &rfm, &seg, err);
  }
  if (s == SEGKIT_OK) {
    fill(r, iv, money, rfm, seg);
    s = label_dicts(r, cols, off, bytes, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__fam_table_take(n, N_COLS, cols, out, err);
  } else {
    for (size_t i = 0; i < N_COLS; i++) {
      free((void *)cols[i].data);
    }
  }
  free(off[0]);
  free(off[1]);
  free(bytes[0]);
  free(bytes[1]);
  return s;
}
