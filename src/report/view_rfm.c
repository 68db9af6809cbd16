/* rfm: the RFM grid — customers per recency score x frequency score cell (1-5 each), the
 * named segment most of a cell's customers are in, and the named segments with their
 * sizes and average recency, frequency and monetary value.
 *
 * From an RFM table stored in the workspace (columns r, f, segment: what segkit family rfm
 * --as and the demo store; the dataset named "rfm" first), else computed from the
 * transactions with segkit_rfm_compute as of their last day. Scores and segments are the
 * family module's (docs/segments.md); the view only counts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "segkit/family.h"

enum { MAX_SEGMENTS = 65 };

typedef struct rfm_cols {
  const int64_t *r, *f;
  const uint32_t *seg;
  const segkit_column *seg_col;
  const segkit_column *recency, *frequency, *monetary;
} rfm_cols;

static double value_at(const segkit_column *c, size_t i) {
  if (c == NULL || !segkit_column_is_valid(c, i)) {
    return NAN;
  }
  if (segkit_column_type(c) == SEGKIT_TYPE_INT64) {
    return (double)segkit_column_int64(c)[i];
  }
  if (segkit_column_type(c) == SEGKIT_TYPE_FLOAT64) {
    return segkit_column_float64(c)[i];
  }
  return NAN;
}

static const segkit_column *col(const segkit_table *t, const char *name) {
  long i = segkit_table_column_index(t, name);
  return i >= 0 ? segkit_table_column(t, (size_t)i) : NULL;
}

static bool read_cols(const segkit_table *t, rfm_cols *rc) {
  const segkit_column *r = col(t, "r");
  const segkit_column *f = col(t, "f");
  rc->seg_col = col(t, "segment");
  rc->r = r != NULL ? segkit_column_int64(r) : NULL;
  rc->f = f != NULL ? segkit_column_int64(f) : NULL;
  rc->seg = rc->seg_col != NULL ? segkit_column_codes(rc->seg_col) : NULL;
  rc->recency = col(t, "recency_days");
  rc->frequency = col(t, "frequency");
  rc->monetary = col(t, "monetary");
  return rc->r != NULL && rc->f != NULL && rc->seg != NULL;
}

static void fill(json_t *view, const segkit_table *t, const rfm_cols *rc) {
  size_t n = segkit_table_n_rows(t);
  uint32_t n_dict = segkit_column_dict_size(rc->seg_col);
  size_t cell[5][5] = {{0}};
  double money[5][5] = {{0}};
  size_t *by_seg = calloc((size_t)n_dict * 25 + 1, sizeof *by_seg);
  size_t *seg_n = calloc((size_t)n_dict + 1, sizeof *seg_n);
  double *sums = calloc((size_t)n_dict * 3 + 1, sizeof *sums);
  size_t used = 0;
  for (size_t i = 0; by_seg != NULL && seg_n != NULL && sums != NULL && i < n; i++) {
    int64_t r = rc->r[i];
    int64_t f = rc->f[i];
    if (r < 1 || r > 5 || f < 1 || f > 5 || !segkit_column_is_valid(rc->seg_col, i)) {
      continue;
    }
    uint32_t s = rc->seg[i];
    cell[r - 1][f - 1]++;
    double mon = value_at(rc->monetary, i);
    money[r - 1][f - 1] += isfinite(mon) ? mon : 0;
    by_seg[(size_t)s * 25 + (size_t)(r - 1) * 5 + (size_t)(f - 1)]++;
    seg_n[s]++;
    sums[3 * s] += value_at(rc->recency, i);
    sums[3 * s + 1] += value_at(rc->frequency, i);
    sums[3 * s + 2] += mon;
    used++;
  }
  json_t *cells = json_array();
  for (int r = 0; r < 5; r++) {
    for (int f = 0; f < 5; f++) {
      size_t best = 0;
      uint32_t best_s = UINT32_MAX;
      for (uint32_t s = 0; by_seg != NULL && s < n_dict; s++) {
        size_t k = by_seg[(size_t)s * 25 + (size_t)r * 5 + (size_t)f];
        if (k > best) {
          best = k;
          best_s = s;
        }
      }
      const char *name =
          best_s != UINT32_MAX ? segkit_column_dict_value(rc->seg_col, best_s, NULL) : NULL;
      json_array_append_new(
          cells, json_pack("{s:i, s:i, s:I, s:o, s:s?, s:o}", "r", r + 1, "f", f + 1, "count",
                           (json_int_t)cell[r][f], "share",
                           sk__num(used > 0 ? (double)cell[r][f] / (double)used : NAN), "segment",
                           name, "mean_monetary",
                           sk__num(cell[r][f] > 0 ? money[r][f] / (double)cell[r][f] : NAN)));
    }
  }
  json_t *segs = json_array();
  for (uint32_t s = 0; seg_n != NULL && sums != NULL && s < n_dict; s++) {
    if (seg_n[s] == 0) {
      continue;
    }
    double k = (double)seg_n[s];
    json_array_append_new(segs, json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:b}", "name",
                                          segkit_column_dict_value(rc->seg_col, s, NULL), "count",
                                          (json_int_t)seg_n[s], "share", sk__num(k / (double)used),
                                          "mean_recency_days", sk__num(sums[3 * s] / k),
                                          "mean_frequency", sk__num(sums[3 * s + 1] / k),
                                          "mean_monetary", sk__num(sums[3 * s + 2] / k),
                                          "too_small", seg_n[s] < SK_MIN_N));
  }
  json_object_set_new(view, "customers", json_integer((json_int_t)used));
  json_object_set_new(view, "cells", cells);
  json_object_set_new(view, "segments", segs);
  free(by_seg);
  free(seg_n);
  free(sums);
}

static const char *stored_rfm(sk_ctx *c) {
  static const char *const need[] = {"r", "f", "segment"};
  segkit_views *v = c->v;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < v->datasets->n; i++) {
      const char *name = v->datasets->items[i].name;
      if (pass == 0 && strcmp(name, "rfm") != 0) {
        continue;
      }
      segkit_dataset_schema *s = NULL;
      segkit_error e;
      bool ok = segkit_workspace_dataset_schema(v->ws, name, &s, &e) == SEGKIT_OK;
      size_t found = 0;
      for (size_t k = 0; ok && k < 3; k++) {
        for (size_t j = 0; j < s->n; j++) {
          found += strcmp(s->names[j], need[k]) == 0;
        }
      }
      segkit_dataset_schema_free(s);
      if (ok && found == 3) {
        return name;
      }
    }
  }
  return NULL;
}

segkit_status sk__view_rfm(sk_ctx *c, json_t *view, segkit_error *err) {
  segkit_error e;
  const char *stored = stored_rfm(c);
  if (stored != NULL) {
    const segkit_table *t = NULL;
    if (sk__table(c->v, stored, &t, &e) != SEGKIT_OK) {
      sk__unavailable(view, "%s", e.message);
      return SEGKIT_OK;
    }
    rfm_cols rc;
    if (!read_cols(t, &rc)) {
      sk__unavailable(view,
                      "dataset '%s' has r, f and segment columns of other types than "
                      "segkit family rfm writes",
                      stored);
      return SEGKIT_OK;
    }
    json_object_set_new(view, "source", json_string(stored));
    fill(view, t, &rc);
    return SEGKIT_OK;
  }
  const char *name = sk__dataset(c, "transactions");
  const segkit_table *tx = NULL;
  if (name == NULL || sk__table(c->v, name, &tx, &e) != SEGKIT_OK) {
    sk__unavailable(view, "no transactions to score: import them or name them with "
                          "transactions=NAME");
    return SEGKIT_OK;
  }
  segkit_rfm_options o;
  segkit_rfm_options_init(&o);
  if (!sk__day_bound(tx, o.columns.date, true, &o.as_of)) {
    sk__unavailable(view, "transactions '%s' have no dates in column '%s'", name, o.columns.date);
    return SEGKIT_OK;
  }
  if (col(tx, "currency") != NULL && c->n_rates > 0) {
    o.columns.currency = "currency";
    o.rates = c->rates;
    o.n_rates = c->n_rates;
  }
  if (col(tx, o.columns.kind) == NULL) {
    o.columns.kind = NULL;
  }
  segkit_rfm_result *r = NULL;
  segkit_table *t = NULL;
  if (segkit_rfm_compute(tx, &o, &r, &e) != SEGKIT_OK ||
      segkit_rfm_table(r, tx, &t, &e) != SEGKIT_OK) {
    sk__unavailable(view, "%s (segkit family rfm --as rfm stores a table this view reads)",
                    e.message);
    segkit_rfm_result_free(r);
    return SEGKIT_OK;
  }
  (void)err;
  rfm_cols rc;
  read_cols(t, &rc);
  json_object_set_new(view, "source", json_string(name));
  fill(view, t, &rc);
  segkit_table_free(t);
  segkit_rfm_result_free(r);
  return SEGKIT_OK;
}
