/* Value tiers (segkit_tiers_compute) and their value sources: MRR or ARPU from an MRR
 * result, lifetime net revenue from a revenue result.
 *
 * Key design choice: quantile tiers use the same scores as RFM (quantiles.c: NTILE(k)
 * cut-points, ties to the lowest tile), so "top quintile" means the same thing in every
 * family; the cut-points used are handed back either way, so a tiering can be reproduced
 * later with fixed cut-points. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "family/family_int.h"

#define MAX_TIERS 100

void segkit_tiers_options_init(segkit_tiers_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->n_tiers = 4;
}

static segkit_status check_options(const segkit_tiers_options *opt, size_t *n_tiers,
                                   segkit_error *err) {
  size_t k = opt->cuts != NULL ? opt->n_cuts + 1 : opt->n_tiers;
  if (k < 2 || k > MAX_TIERS) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "%zu tiers (expected 2 to %d)", k, MAX_TIERS);
  }
  for (size_t i = 0; opt->cuts != NULL && i < opt->n_cuts; i++) {
    if (!isfinite(opt->cuts[i]) || (i > 0 && !(opt->cuts[i] > opt->cuts[i - 1]))) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "cut-point %zu is %g (expected finite, strictly increasing "
                              "cut-points)",
                              i + 1, opt->cuts[i]);
    }
  }
  for (size_t i = 0; opt->labels != NULL && i < k; i++) {
    if (opt->labels[i] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "tier label %zu is missing", i + 1);
    }
  }
  *n_tiers = k;
  return SEGKIT_OK;
}

/* Values as doubles; valid[i] = 0 for a null or NaN (left without a tier). */
static segkit_status read_values(const sk__fam_col *v, size_t n, double *x, uint8_t *valid,
                                 size_t *n_valid) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    x[i] = sk__fam_is_null(v, i) ? NAN : sk__fam_number(v, i);
    valid[i] = !isnan(x[i]);
    k += valid[i];
  }
  *n_valid = k;
  return SEGKIT_OK;
}

/* Cut-points: given, or the NTILE edges of the valid values. */
static segkit_status cut_points(const segkit_tiers_options *opt, size_t k, const double *x,
                                const uint8_t *valid, size_t n, size_t n_valid, double *cuts,
                                size_t *n_cuts, segkit_error *err) {
  if (opt->cuts != NULL) {
    memcpy(cuts, opt->cuts, opt->n_cuts * sizeof *cuts);
    *n_cuts = opt->n_cuts;
    return SEGKIT_OK;
  }
  double *packed = malloc((n_valid ? n_valid : 1) * sizeof *packed);
  int64_t *scratch = malloc((n_valid ? n_valid : 1) * sizeof *scratch);
  if (packed == NULL || scratch == NULL) {
    free(packed);
    free(scratch);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu values", n);
  }
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    if (valid[i]) {
      packed[j++] = x[i];
    }
  }
  *n_cuts = sk__ntile_edges_f64(packed, n_valid, (unsigned)k, cuts, scratch);
  free(packed);
  free(scratch);
  return SEGKIT_OK;
}

/* Quantile tiers: 1 + edges strictly below; given cut-points: 1 + cut-points <= value. */
static uint32_t tier_of(double v, const double *cuts, size_t n_cuts, bool quantile) {
  uint32_t t = 1;
  for (size_t i = 0; i < n_cuts; i++) {
    t += quantile ? cuts[i] < v : cuts[i] <= v;
  }
  return t;
}

static segkit_status labels_of(const segkit_tiers_options *opt, size_t k, char (*buf)[24],
                               const char **labels) {
  for (size_t i = 0; i < k; i++) {
    if (opt->labels != NULL) {
      labels[i] = opt->labels[i];
      continue;
    }
    snprintf(buf[i], sizeof buf[i], "T%zu", i + 1);
    labels[i] = buf[i];
  }
  return SEGKIT_OK;
}

typedef struct tier_arrays {
  double *x;
  uint8_t *valid;
  int64_t *tier;
  uint32_t *label;
  uint64_t *tier_valid;
} tier_arrays;

static segkit_status tier_alloc(tier_arrays *a, size_t n, segkit_error *err) {
  size_t k = n ? n : 1;
  size_t words = (n + 63) / 64 + 1;
  a->x = malloc(k * sizeof *a->x);
  a->valid = malloc(k);
  a->tier = malloc(k * sizeof *a->tier);
  a->label = malloc(k * sizeof *a->label);
  a->tier_valid = calloc(words, sizeof *a->tier_valid);
  if (!a->x || !a->valid || !a->tier || !a->label || !a->tier_valid) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu values", n);
  }
  return SEGKIT_OK;
}

static void tier_free(tier_arrays *a) {
  free(a->x);
  free(a->valid);
  free(a->tier);
  free(a->label);
  free(a->tier_valid);
}

/* Copy a column of the input as it is (data and validity). */
static segkit_status copy_column(const segkit_table *t, const sk__fam_col *c,
                                 segkit_column_arrays *out, segkit_error *err) {
  size_t n = segkit_table_n_rows(t);
  segkit_column_arrays a = {.name = c->name, .type = c->type};
  size_t width = c->type == SEGKIT_TYPE_STRING ? sizeof(uint32_t) : sizeof(int64_t);
  void *data = malloc((n ? n : 1) * width);
  uint64_t *valid = NULL;
  if (data != NULL && c->valid != NULL) {
    valid = malloc(((n + 63) / 64 + 1) * sizeof *valid);
  }
  if (data == NULL || (c->valid != NULL && valid == NULL)) {
    free(data);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for column %s", c->name);
  }
  if (n > 0) {
    memcpy(data, c->data, n * width);
  }
  if (valid != NULL) {
    memcpy(valid, c->valid, (n + 63) / 64 * sizeof *valid);
  }
  a.data = data;
  a.validity = valid;
  if (c->type == SEGKIT_TYPE_STRING) {
    a.dict_size = segkit_column_dict_size(c->col);
    segkit_column_dict_arrays(c->col, &a.dict_offsets, &a.dict_bytes);
  }
  *out = a;
  return SEGKIT_OK;
}

static segkit_status build_output(const segkit_table *t, const sk__fam_col *cust,
                                  const sk__fam_col *val, tier_arrays *a, const char **labels,
                                  size_t k, segkit_table **out, segkit_error *err) {
  segkit_column_arrays cols[4];
  memset(cols, 0, sizeof cols);
  uint64_t *off = NULL;
  char *bytes = NULL;
  segkit_status s = copy_column(t, cust, &cols[0], err);
  if (s == SEGKIT_OK) {
    s = copy_column(t, val, &cols[1], err);
  }
  if (s == SEGKIT_OK) {
    s = sk__fam_label_column("tier_label", labels, k, a->label, &cols[3], &off, &bytes, err);
  }
  if (s != SEGKIT_OK) {
    for (int i = 0; i < 2; i++) {
      free((void *)cols[i].data);
      free((void *)cols[i].validity);
    }
    return s;
  }
  cols[2] = (segkit_column_arrays){.name = "tier", .type = SEGKIT_TYPE_INT64, .data = a->tier,
                                   .validity = a->tier_valid};
  cols[3].validity = a->tier_valid;
  /* Both tier columns share one validity array in our hands; the table takes each
   * separately, so the label column gets a copy. */
  size_t words = (segkit_table_n_rows(t) + 63) / 64 + 1;
  uint64_t *v2 = malloc(words * sizeof *v2);
  if (v2 == NULL) {
    free(off);
    free(bytes);
    for (int i = 0; i < 2; i++) {
      free((void *)cols[i].data);
      free((void *)cols[i].validity);
    }
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the tiers");
  }
  memcpy(v2, a->tier_valid, words * sizeof *v2);
  cols[3].validity = v2;
  a->tier = NULL;
  a->label = NULL;
  a->tier_valid = NULL;
  s = sk__fam_table_take(segkit_table_n_rows(t), 4, cols, out, err);
  free(off);
  free(bytes);
  return s;
}

segkit_status segkit_tiers_compute(const segkit_table *values, const char *customer,
                                   const char *value, const segkit_tiers_options *opt,
                                   segkit_table **out, double *cuts_out, segkit_error *err) {
  if (values == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_tiers_compute: NULL argument");
  }
  segkit_tiers_options def;
  segkit_tiers_options_init(&def);
  if (opt == NULL) {
    opt = &def;
  }
  size_t k = 0;
  segkit_status s = check_options(opt, &k, err);
  sk__fam_col cust;
  sk__fam_col val;
  if (s == SEGKIT_OK) {
    s = sk__fam_find(values, customer, "customer", SK__FAM_KEY_TYPES, true, &cust, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__fam_find(values, value, "value", SK__FAM_NUM_TYPES, true, &val, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  size_t n = segkit_table_n_rows(values);
  tier_arrays a;
  memset(&a, 0, sizeof a);
  double cuts[MAX_TIERS];
  size_t n_cuts = 0;
  size_t n_valid = 0;
  s = tier_alloc(&a, n, err);
  if (s == SEGKIT_OK) {
    read_values(&val, n, a.x, a.valid, &n_valid);
    s = cut_points(opt, k, a.x, a.valid, n, n_valid, cuts, &n_cuts, err);
  }
  if (s == SEGKIT_OK) {
    for (size_t i = 0; i < n; i++) {
      a.tier[i] = a.valid[i] ? tier_of(a.x[i], cuts, n_cuts, opt->cuts == NULL) : 0;
      a.label[i] = a.valid[i] ? (uint32_t)a.tier[i] - 1 : 0;
      a.tier_valid[i / 64] |= (uint64_t)a.valid[i] << (i % 64);
    }
    char buf[MAX_TIERS][24];
    const char *labels[MAX_TIERS];
    labels_of(opt, k, buf, labels);
    s = build_output(values, &cust, &val, &a, labels, k, out, err);
  }
  if (s == SEGKIT_OK && cuts_out != NULL) {
    /* No valid value: no quantile edges; report NaN cut-points. */
    for (size_t i = 0; i + 1 < k; i++) {
      cuts_out[i] = i < n_cuts ? cuts[i] : NAN;
    }
  }
  tier_free(&a);
  return s;
}
