/* clusters and survey: stored clusterings. A clustering kept by segkit cluster fit --save or
 * segkit survey segment --save is a model (kind "cluster") whose document carries its
 * summary (sizes, shares, centroids in original units, the PCA map's explained variance and
 * centroids) and a dataset of the same name with every row's cluster and its place on the
 * map (pc1, pc2). The clusters view shows a clustering of customers; the survey view one of
 * a survey (a dataset stored with its codebook), with the segments' names, the market shares
 * of a typing model and, when customers answered the golden questions, the bridge: our
 * customers' share of each market segment against the market's.
 *
 * Nothing is refitted: the map's points are the stored pc1, pc2 of a sample of rows (every
 * n / sample-th row, so the same rows every time), the profiles the stored centroids. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "segkit/survey.h"

static const segkit_column *col(const segkit_table *t, const char *name) {
  long i = segkit_table_column_index(t, name);
  return i >= 0 ? segkit_table_column(t, (size_t)i) : NULL;
}

/* [[pc1, pc2, cluster], ...] for an evenly spaced sample of the labels' rows. */
static json_t *map_points(const segkit_table *labels, size_t sample) {
  const segkit_column *cl = col(labels, "cluster");
  const segkit_column *p1 = col(labels, "pc1");
  const segkit_column *p2 = col(labels, "pc2");
  json_t *pts = json_array();
  if (cl == NULL || p1 == NULL || p2 == NULL || segkit_column_int64(cl) == NULL ||
      segkit_column_float64(p1) == NULL || segkit_column_float64(p2) == NULL) {
    return pts;
  }
  size_t n = segkit_table_n_rows(labels);
  size_t step = n > sample ? (n + sample - 1) / sample : 1;
  for (size_t i = 0; i < n; i += step) {
    if (segkit_column_is_valid(cl, i) && segkit_column_is_valid(p1, i) &&
        segkit_column_is_valid(p2, i)) {
      json_array_append_new(pts, json_pack("[f, f, I]", segkit_column_float64(p1)[i],
                                           segkit_column_float64(p2)[i],
                                           (json_int_t)segkit_column_int64(cl)[i]));
    }
  }
  return pts;
}

/* Each cluster's centroid in original units and its index against the weighted mean of
 * the centroids (100 = average), feature by feature. */
static json_t *profiles(json_t *summary, json_t *names) {
  json_t *cents = json_object_get(summary, "centroids");
  json_t *shares = json_object_get(summary, "shares");
  json_t *sizes = json_object_get(summary, "sizes");
  json_t *out = json_array();
  json_t *first = json_array_get(cents, 0);
  json_t *mean = json_object();
  const char *key;
  json_t *v;
  json_object_foreach(first, key, v) {
    double sum = 0;
    for (size_t c = 0; c < json_array_size(cents); c++) {
      sum += json_number_value(json_array_get(shares, c)) *
             json_number_value(json_object_get(json_array_get(cents, c), key));
    }
    json_object_set_new(mean, key, sk__num(sum));
  }
  for (size_t c = 0; c < json_array_size(sizes); c++) {
    json_t *feats = json_array();
    json_t *cent = json_array_get(cents, c);
    json_object_foreach(cent, key, v) {
      double m = json_number_value(json_object_get(mean, key));
      double x = json_number_value(v);
      json_array_append_new(feats, json_pack("{s:s, s:o, s:o, s:o}", "feature", key, "value",
                                             sk__num(x), "mean", sk__num(m), "index",
                                             sk__num(m != 0 ? 100.0 * x / m : NAN)));
    }
    json_t *name = json_array_get(names, c);
    char label[64];
    snprintf(label, sizeof label, "cluster %zu", c + 1);
    json_int_t size = json_integer_value(json_array_get(sizes, c));
    json_array_append_new(
        out, json_pack("{s:I, s:s, s:I, s:o, s:b, s:o}", "cluster", (json_int_t)c + 1, "name",
                       json_is_string(name) ? json_string_value(name) : label, "size", size,
                       "share", sk__num(json_number_value(json_array_get(shares, c))), "too_small",
                       size < SK_MIN_N, "features", feats));
  }
  json_decref(mean);
  return out;
}

/* The fields both views share, from a stored clustering. false: unavailable (said why). */
static bool clustering(sk_ctx *c, json_t *view, const segkit_model_info *m, json_t **summary_out,
                       segkit_error *err) {
  json_t *doc = json_loads(m->document, 0, NULL);
  json_t *summary = json_object_get(doc, "summary");
  if (!json_is_object(summary)) {
    sk__unavailable(view, "model '%s' has no summary (saved by an older segkit: fit it again)",
                    m->name);
    json_decref(doc);
    return false;
  }
  long sample = 2000;
  if (sk__opt_int(c, "sample", 10, 100000, 2000, &sample, err) != SEGKIT_OK) {
    json_decref(doc);
    return false;
  }
  json_t *names = json_object_get(summary, "segment_names");
  json_object_set_new(view, "model", json_string(m->name));
  json_object_set(view, "dataset", json_object_get(doc, "dataset"));
  json_object_set(view, "features", json_object_get(doc, "features"));
  json_object_set(view, "method", json_object_get(summary, "method"));
  json_object_set(view, "k", json_object_get(summary, "k"));
  json_object_set(view, "rows", json_object_get(summary, "rows"));
  json_object_set(view, "silhouette", json_object_get(summary, "silhouette"));
  json_object_set_new(view, "clusters", profiles(summary, names));
  json_t *map = json_object_get(summary, "map");
  json_object_set_new(view, "map_explained",
                      json_is_object(map) ? json_deep_copy(json_object_get(map, "explained_ratio"))
                                          : json_null());
  json_object_set_new(view, "map_centroids",
                      json_is_object(map) ? json_deep_copy(json_object_get(map, "centroids"))
                                          : json_null());
  const segkit_table *labels = NULL;
  segkit_error e;
  if (m->dataset != NULL && sk__table(c->v, m->dataset, &labels, &e) == SEGKIT_OK) {
    json_object_set_new(view, "points", map_points(labels, (size_t)sample));
    json_object_set_new(view, "points_of", json_integer((json_int_t)segkit_table_n_rows(labels)));
  } else {
    json_object_set_new(view, "points", json_array());
  }
  *summary_out = json_incref(summary);
  json_decref(doc);
  return true;
}

segkit_status sk__view_clusters(sk_ctx *c, json_t *view, segkit_error *err) {
  segkit_model_list *l = NULL;
  segkit_error e;
  const segkit_model_info *m = sk__pick_model(c, "cluster", 0, &l, &e);
  if (m == NULL) {
    sk__unavailable(view,
                    "no cluster model of customers in this workspace%s: run segkit "
                    "cluster fit --dataset NAME --features A,B,C --k 4 --save NAME",
                    sk__opt(c, "model") != NULL ? " of that name" : "");
    segkit_model_list_free(l);
    return SEGKIT_OK;
  }
  json_t *summary = NULL;
  segkit_status st = SEGKIT_OK;
  if (clustering(c, view, m, &summary, err)) {
    json_decref(summary);
  } else if (err->code == SEGKIT_ERR_USAGE) {
    st = SEGKIT_ERR_USAGE;
  }
  segkit_model_list_free(l);
  return st;
}

/* ---- survey ------------------------------------------------------------------------------ */

/* Our customers typed with the typing model: a dataset of customers (it has the customers'
 * key column, customer_id; not the survey) with every golden question, its rows
 * classified; the share per segment against the market's. */
static json_t *bridge(sk_ctx *c, json_t *typing_doc, const char *survey) {
  char *text = json_dumps(json_object_get(typing_doc, "model"), JSON_COMPACT);
  segkit_typing *tm = NULL;
  segkit_error e;
  json_t *out = NULL;
  if (text == NULL || segkit_typing_from_json(text, &tm, &e) != SEGKIT_OK) {
    free(text);
    return NULL;
  }
  free(text);
  const segkit_typing_view *tv = segkit_typing_get(tm);
  json_t *labels = json_object_get(typing_doc, "segments");
  json_t *market = json_object_get(json_object_get(typing_doc, "market"), "shares");
  for (size_t d = 0; d < c->v->datasets->n && out == NULL; d++) {
    const char *name = c->v->datasets->items[d].name;
    const segkit_table *t = NULL;
    if (strcmp(name, survey) == 0) {
      continue;
    }
    segkit_dataset_schema *s = NULL;
    bool all = segkit_workspace_dataset_schema(c->v->ws, name, &s, &e) == SEGKIT_OK;
    bool customers = false;
    for (size_t j = 0; all && j < s->n; j++) {
      customers = customers || strcmp(s->names[j], segkit_mrr_columns_default().customer) == 0;
    }
    all = all && customers;
    for (uint32_t q = 0; all && q < tv->n_chosen; q++) {
      bool found = false;
      for (size_t j = 0; j < s->n && !found; j++) {
        found = strcmp(s->names[j], tv->chosen_names[q]) == 0;
      }
      all = found;
    }
    segkit_dataset_schema_free(s);
    if (!all || sk__table(c->v, name, &t, &e) != SEGKIT_OK) {
      continue;
    }
    size_t n = segkit_table_n_rows(t);
    uint32_t ns = tv->n_segments;
    size_t *count = calloc(ns + 1, sizeof *count);
    double row[64];
    size_t typed = 0;
    for (size_t i = 0; count != NULL && tv->n_chosen <= 64 && i < n; i++) {
      bool answered = true;
      for (uint32_t q = 0; q < tv->n_chosen && answered; q++) {
        const segkit_column *qc = col(t, tv->chosen_names[q]);
        answered = segkit_column_is_valid(qc, i);
        row[q] = !answered                                     ? NAN
                 : segkit_column_type(qc) == SEGKIT_TYPE_INT64 ? (double)segkit_column_int64(qc)[i]
                 : segkit_column_type(qc) == SEGKIT_TYPE_FLOAT64 ? segkit_column_float64(qc)[i]
                                                                 : NAN;
        answered = answered && isfinite(row[q]);
      }
      int32_t seg = -1;
      if (answered && segkit_typing_classify(tm, 1, row, &seg, NULL, &e) == SEGKIT_OK && seg >= 0 &&
          (uint32_t)seg < ns) {
        count[seg]++;
        typed++;
      }
    }
    if (typed > 0) {
      json_t *rows = json_array();
      for (uint32_t k = 0; k < ns; k++) {
        json_t *ms = json_array_get(market, k);
        double mk = json_number_value(json_object_get(ms, "share"));
        double ours = (double)count[k] / (double)typed;
        json_t *label = json_array_get(labels, k);
        json_array_append_new(
            rows, json_pack("{s:o, s:o, s:[o, o], s:I, s:o, s:o}", "segment",
                            label != NULL ? json_incref(label) : json_string("?"), "market_share",
                            sk__num(mk), "market_ci",
                            sk__num(json_number_value(json_object_get(ms, "lower"))),
                            sk__num(json_number_value(json_object_get(ms, "upper"))), "customers",
                            (json_int_t)count[k], "customer_share", sk__num(ours), "index",
                            sk__num(mk > 0 ? 100.0 * ours / mk : NAN)));
      }
      out = json_pack("{s:s, s:I, s:o}", "customers_dataset", name, "typed", (json_int_t)typed,
                      "segments", rows);
    }
    free(count);
  }
  segkit_typing_free(tm);
  return out;
}

segkit_status sk__view_survey(sk_ctx *c, json_t *view, segkit_error *err) {
  segkit_model_list *l = NULL;
  segkit_error e;
  const segkit_model_info *m = sk__pick_model(c, "cluster", 1, &l, &e);
  if (m == NULL) {
    sk__unavailable(view, "no survey segmentation in this workspace: run segkit survey segment "
                          "--dataset NAME --items 'att_*' --k 5 --save NAME");
    segkit_model_list_free(l);
    return SEGKIT_OK;
  }
  json_t *summary = NULL;
  if (!clustering(c, view, m, &summary, err)) {
    segkit_model_list_free(l);
    return err->code == SEGKIT_ERR_USAGE ? SEGKIT_ERR_USAGE : SEGKIT_OK;
  }
  json_decref(summary);
  const char *survey = json_string_value(json_object_get(view, "dataset"));
  /* a typing model of this survey gives the market shares and, with customers who answered
   * its golden questions, the bridge */
  segkit_model_list *tl = NULL;
  json_t *market = json_null();
  json_t *br = NULL;
  if (survey != NULL && segkit_workspace_models(c->v->ws, "typing", NULL, &tl, &e) == SEGKIT_OK) {
    for (size_t i = 0; i < tl->n && br == NULL; i++) {
      if (tl->items[i].dataset == NULL || strcmp(tl->items[i].dataset, survey) != 0) {
        continue;
      }
      json_t *doc = json_loads(tl->items[i].document, 0, NULL);
      json_decref(market);
      market = json_deep_copy(json_object_get(doc, "market"));
      json_object_set_new(view, "typing_model", json_string(tl->items[i].name));
      br = bridge(c, doc, survey);
      json_decref(doc);
    }
  }
  segkit_model_list_free(tl);
  json_object_set_new(view, "market", market != NULL ? market : json_null());
  json_object_set_new(view, "bridge", br != NULL ? br : json_null());
  if (br == NULL) {
    json_object_set_new(view, "bridge_reason",
                        json_string("no customers typed: save a typing model (segkit survey "
                                    "typing ... --save NAME) and import customers' answers to "
                                    "its golden questions"));
  }
  segkit_model_list_free(l);
  return SEGKIT_OK;
}
