/* segkit insights --profile COL[,COL]: the attributes over- or under-represented in each
 * segment of a customer snapshot. Every value of every --profile column in every --by
 * segment against the customers of the other segments: index (segment share / everyone's
 * share x 100), the pooled z-test, Benjamini-Hochberg over all the cells of one
 * segmentation (each --by column is its own family, as each is its own question); only
 * cells that pass are told, the most distinctive first. The
 * statistics are the insight module's profiles (segkit_profile_new), the ones survey
 * profile uses. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "segkit/insight.h"
#include "survey_cli.h"

enum { MAX_COLS = 16, TOP = 5 };

typedef struct profile_run {
  survey_question seg;
  survey_question attr[MAX_COLS];
  size_t n_attr;
  segkit_profile *p;
} profile_run;

static void run_free(profile_run *r) {
  segkit_profile_free(r->p);
  survey_question_free(&r->seg);
  for (size_t i = 0; i < r->n_attr; i++) {
    survey_question_free(&r->attr[i]);
  }
}

static json_t *cell_json(const profile_run *r, const segkit_profile_cell *c) {
  json_t *o = json_object();
  json_object_set_new(o, "attribute", json_string(r->attr[c->question].name));
  json_object_set_new(o, "value", json_string(r->attr[c->question].labels[c->level]));
  json_object_set_new(o, "segment_pct", cli_json_number(c->segment_pct));
  json_object_set_new(o, "rest_pct", cli_json_number(c->rest_pct));
  json_object_set_new(o, "total_pct", cli_json_number(c->total_pct));
  json_object_set_new(o, "index", cli_json_number(c->index));
  json_object_set_new(o, "segment_base", cli_json_number(c->segment_base));
  json_object_set_new(o, "rest_base", cli_json_number(c->rest_base));
  json_object_set_new(o, "z", cli_json_number(c->z));
  json_object_set_new(o, "p", cli_json_number(c->p));
  json_object_set_new(o, "p_adjusted", cli_json_number(c->p_adjusted));
  json_object_set_new(o, "finding", json_boolean(c->significant));
  json_object_set_new(o, "small_base", json_boolean(c->small_base));
  return o;
}

static void print_text(const profile_run *r, double alpha) {
  printf("attributes over- or under-represented by %s (%zu tests of a segment against the "
         "rest, Benjamini-Hochberg at %g):\n",
         r->seg.name, segkit_profile_n_tests(r->p), alpha);
  size_t told = 0;
  for (uint32_t s = 0; s < r->seg.n_levels; s++) {
    size_t idx[TOP];
    size_t k = segkit_profile_top(r->p, s, TOP, idx);
    if (k == 0) {
      continue;
    }
    printf("- %s = %s (%.0f customers, %.1f%%):", r->seg.name, r->seg.labels[s],
           segkit_profile_segment_size(r->p, s), 100 * segkit_profile_segment_share(r->p, s));
    for (size_t j = 0; j < k; j++) {
      const segkit_profile_cell *c = segkit_profile_cell_at(r->p, idx[j]);
      printf("%s %s = %s %.1f%% vs %.1f%% of the rest (index %.0f, adjusted p %s)%s",
             j > 0 ? ";" : "", r->attr[c->question].name,
             r->attr[c->question].labels[c->level], c->segment_pct, c->rest_pct, c->index,
             cli_p_text(c->p_adjusted, (char[32]){0}), c->small_base ? " [small base]" : "");
    }
    printf("\n");
    told++;
  }
  if (told == 0) {
    printf("- no segment's attributes differ from the rest's by more than chance allows\n");
  }
}

/* One --by column as the segments, every --profile column but itself as attributes. */
static int profile_one(const segkit_table *t, const char *by, const char *const *cols,
                       size_t n_cols, const int32_t *keep, const segkit_profile_options *po,
                       profile_run *r) {
  int rc = survey_question_from_column(t, by, "insights", NULL, &r->seg);
  for (size_t i = 0; rc == 0 && i < n_cols; i++) {
    if (strcmp(cols[i], by) == 0) {
      continue;
    }
    rc = survey_question_from_column(t, cols[i], "insights", NULL, &r->attr[r->n_attr]);
    if (rc == 0) {
      r->n_attr++;
    }
  }
  if (rc != 0) {
    return rc;
  }
  if (r->n_attr == 0) {
    return cli_usage_error("insights", "--profile needs a column other than the segment %s",
                           by);
  }
  size_t n = segkit_table_n_rows(t);
  if (keep != NULL) {
    for (size_t i = 0; i < n; i++) {
      if (keep[i] < 0) {
        r->seg.codes[i] = -1;
      }
    }
  }
  segkit_profile_question q[MAX_COLS];
  for (size_t i = 0; i < r->n_attr; i++) {
    q[i] = (segkit_profile_question){r->attr[i].name, r->attr[i].codes, r->attr[i].n_levels,
                                     (const char *const *)r->attr[i].labels};
  }
  segkit_profile_input in = {.n = n, .segment = r->seg.codes, .n_segments = r->seg.n_levels,
                             .segment_labels = (const char *const *)r->seg.labels,
                             .questions = q, .n_questions = r->n_attr};
  segkit_error err;
  if (segkit_profile_new(&in, po, &r->p, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  return 0;
}

int cli_insights_profile(cli_args *a, const segkit_table *t, const char *by,
                         const char *profile, const segkit_rate_options *o, const int32_t *keep) {
  char bybuf[4096], pbuf[4096];
  const char *bys[MAX_COLS], *cols[MAX_COLS];
  size_t n_by = 0, n_cols = 0;
  snprintf(bybuf, sizeof bybuf, "%s", by);
  snprintf(pbuf, sizeof pbuf, "%s", profile);
  if (strlen(by) >= sizeof bybuf || !cli_split_list(bybuf, bys, MAX_COLS, &n_by) ||
      strlen(profile) >= sizeof pbuf || !cli_split_list(pbuf, cols, MAX_COLS, &n_cols)) {
    return cli_usage_error("insights", "--by and --profile take comma-separated lists of at "
                                       "most %d columns",
                           MAX_COLS);
  }
  segkit_profile_options po = {.alpha = o->alpha, .min_base = (double)o->min_n};
  double alpha = o->alpha > 0 ? o->alpha : 0.05;
  json_t *list = a->format == CLI_FORMAT_JSON ? json_array() : NULL;
  int rc = 0;
  for (size_t b = 0; rc == 0 && b < n_by; b++) {
    profile_run r;
    memset(&r, 0, sizeof r);
    rc = profile_one(t, bys[b], cols, n_cols, keep, &po, &r);
    if (rc == 0 && list != NULL) {
      for (size_t i = 0; i < segkit_profile_n_cells(r.p); i++) {
        const segkit_profile_cell *c = segkit_profile_cell_at(r.p, i);
        json_t *cj = cell_json(&r, c);
        json_object_set_new(cj, "column", json_string(r.seg.name));
        json_object_set_new(cj, "segment", json_string(r.seg.labels[c->segment]));
        json_array_append_new(list, cj);
      }
    } else if (rc == 0) {
      print_text(&r, alpha);
    }
    run_free(&r);
  }
  if (rc == 0 && list != NULL) {
    json_t *root = json_object();
    json_object_set_new(root, "correction", json_string("benjamini-hochberg, per segmentation"));
    json_object_set_new(root, "alpha", json_real(alpha));
    json_object_set_new(root, "min_base", json_integer((json_int_t)o->min_n));
    json_object_set_new(root, "cells", list);
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
  } else {
    json_decref(list);
  }
  return rc;
}
