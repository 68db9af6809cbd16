/* The segment option: a stored segment's members, evaluated now, as a table the views
 * join to the subscription history (customer key, "member" / "rest").
 *
 * Evaluation itself (the rule, its linked datasets, in_segment() references, derived
 * fields) is the segeval module's one library call, segkit_segeval_segment; the datasets
 * it needs come from the views handle's cache (a loader), so a segment section does not
 * load the customers again. This file only turns the members' bitset into the table. */
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "segkit/datetime.h"
#include "segkit/segeval.h"

static segkit_status acquire(void *ctx, segkit_workspace *ws, const char *name,
                             const segkit_table **out, segkit_error *err) {
  (void)ws;
  return sk__table(ctx, name, out, err);
}

static void release(void *ctx, const segkit_table *table) {
  (void)ctx;
  (void)table; /* the handle keeps its tables until it closes */
}

segkit_status sk__segment_evaluate(sk_ctx *c, const char *segment, segkit_segeval **out,
                                   segkit_error *err) {
  segkit_segeval_loader loader = {acquire, release, c->v};
  segkit_segeval_options opt;
  segkit_segeval_options_init(&opt);
  opt.loader = &loader;
  /* as_of: what now() means in the rules (a day, its midnight UTC); default the clock */
  const char *as_of = sk__opt(c, "as_of");
  int32_t day = 0;
  if (as_of != NULL) {
    if (!segkit_parse_date(as_of, strlen(as_of), &day)) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "as_of",
                                 "option 'as_of' must be a date YYYY-MM-DD, not '%s'", as_of);
    }
    opt.now_us = (int64_t)day * SEGKIT_US_PER_DAY;
  }
  segkit_rule_diag diag;
  memset(&diag, 0, sizeof diag);
  return segkit_segeval_segment(c->v->ws, segment, &opt, out, &diag, err);
}

segkit_status sk__segment_membership(sk_ctx *c, const char *segment, segkit_table **out,
                                     segkit_error *err) {
  segkit_segeval *ev = NULL;
  segkit_status st = sk__segment_evaluate(c, segment, &ev, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  const segkit_column *key = segkit_segeval_key_column(ev);
  segkit_type kt = segkit_column_type(key);
  if (kt != SEGKIT_TYPE_INT64 && kt != SEGKIT_TYPE_STRING) {
    segkit_segeval_free(ev);
    return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, "key",
                               "segment '%s': its key column '%s' holds neither integers nor "
                               "text, so its customers cannot be matched",
                               segment, segkit_column_name(key));
  }
  const char *names[] = {segkit_segeval_key(ev), "segment"};
  segkit_type types[] = {kt, SEGKIT_TYPE_STRING};
  segkit_table_builder *b = NULL;
  st = segkit_table_builder_new(2, names, types, &b, err);
  size_t n = segkit_segeval_n_rows(ev);
  for (size_t i = 0; st == SEGKIT_OK && i < n; i++) {
    if (!segkit_column_is_valid(key, i)) {
      continue; /* a customer without an id cannot be found in the history */
    }
    if (kt == SEGKIT_TYPE_INT64) {
      st = segkit_column_append_int64(segkit_table_builder_column(b, 0),
                                      segkit_column_int64(key)[i]);
    } else {
      size_t len = 0;
      const char *s = segkit_column_dict_value(key, segkit_column_codes(key)[i], &len);
      st = segkit_column_append_string(segkit_table_builder_column(b, 0), s, len);
    }
    const char *v = segkit_segeval_is_member(ev, i) ? "member" : "rest";
    if (st == SEGKIT_OK) {
      st = segkit_column_append_string(segkit_table_builder_column(b, 1), v, strlen(v));
    }
  }
  segkit_segeval_free(ev);
  if (st != SEGKIT_OK) {
    segkit_table_builder_free(b);
    return segkit_error_set(err, st, "building the members of segment '%s'", segment);
  }
  return segkit_table_builder_finish(b, out, err);
}
