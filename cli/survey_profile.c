/* segkit survey profile --by SEGMENT: what sets each segment apart. Every question's
 * answers in each segment against the rest (index, z-test, Benjamini-Hochberg over all
 * the tests), and per segment the answers that most distinguish it, ranked.
 *
 * The segments come from a column of the survey, or from another dataset looked up by the
 * respondent id (--segments NAME: the labels `cluster fit --save` stores). Questions are
 * the codebook's coded questions (single choice, scales, multiple-choice options), or
 * without a codebook the columns with 2 to 20 distinct answers. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/insight.h"
#include "survey_cli.h"

enum { MAX_QUESTIONS = 512, MAX_AUTO_LEVELS = 20, DEFAULT_TOP = 5, MAX_TOP = 100 };

/* Columns to profile: --questions, or the coded questions of the codebook, or columns with
 * few distinct answers; never the id, the segment or a COL_missing reason column. */
static bool auto_question(const segkit_table *t, size_t c, const segkit_codebook *cb,
                          const char *id, const char *by) {
  const segkit_column *col = segkit_table_column(t, c);
  const char *name = segkit_column_name(col);
  size_t len = strlen(name);
  if (strcmp(name, id) == 0 || strcmp(name, by) == 0 ||
      (len > 8 && strcmp(name + len - 8, "_missing") == 0)) {
    return false;
  }
  if (cb != NULL) {
    long v = segkit_codebook_find(cb, name);
    if (v >= 0) {
      segkit_survey_type ty = segkit_codebook_type(cb, (size_t)v);
      return ty == SEGKIT_SURVEY_SINGLE || ty == SEGKIT_SURVEY_LIKERT;
    }
    /* a multiple-choice option column q_3 of a multi variable q */
    const char *us = strrchr(name, '_');
    if (us != NULL) {
      char stem[256];
      snprintf(stem, sizeof stem, "%.*s", (int)(us - name), name);
      long m = segkit_codebook_find(cb, stem);
      return m >= 0 && segkit_codebook_type(cb, (size_t)m) == SEGKIT_SURVEY_MULTI;
    }
    return false;
  }
  segkit_type ty = segkit_column_type(col);
  if (ty != SEGKIT_TYPE_INT64 && ty != SEGKIT_TYPE_STRING && ty != SEGKIT_TYPE_BOOL) {
    return false;
  }
  /* few distinct answers: count up to MAX_AUTO_LEVELS + 1 */
  size_t n = segkit_table_n_rows(t);
  int64_t seen[MAX_AUTO_LEVELS + 1];
  size_t k = 0;
  for (size_t i = 0; i < n && k <= MAX_AUTO_LEVELS; i++) {
    if (!segkit_column_is_valid(col, i)) {
      continue;
    }
    int64_t v = ty == SEGKIT_TYPE_INT64    ? segkit_column_int64(col)[i]
                : ty == SEGKIT_TYPE_STRING ? (int64_t)segkit_column_codes(col)[i]
                                           : (int64_t)segkit_column_bool(col)[i];
    size_t j = 0;
    while (j < k && seen[j] != v) {
      j++;
    }
    if (j == k) {
      seen[k++] = v;
    }
  }
  return k >= 2 && k <= MAX_AUTO_LEVELS;
}

typedef struct profile_run {
  survey_question seg;
  survey_question *qs;
  size_t n_qs;
  segkit_profile_question *pq;
  double *w;
} profile_run;

static void run_free(profile_run *r) {
  survey_question_free(&r->seg);
  for (size_t i = 0; r->qs != NULL && i < r->n_qs; i++) {
    survey_question_free(&r->qs[i]);
  }
  free(r->qs);
  free(r->pq);
  free(r->w);
}

static int print_profile(cli_args *a, const profile_run *r, const segkit_profile *p,
                         size_t top) {
  size_t *idx = malloc((top + 1) * sizeof *idx);
  if (idx == NULL) {
    return CLI_EXIT_ENV;
  }
  if (a->format == CLI_FORMAT_JSON) {
    json_t *segs = json_array();
    for (uint32_t s = 0; s < r->seg.n_levels; s++) {
      json_t *list = json_array();
      size_t k = segkit_profile_top(p, s, top, idx);
      for (size_t i = 0; i < k; i++) {
        const segkit_profile_cell *c = segkit_profile_cell_at(p, idx[i]);
        json_array_append_new(list, json_pack("{s:s, s:s, s:f, s:f, s:o, s:o, s:o}", "question",
                                              r->qs[c->question].name, "answer",
                                              r->qs[c->question].labels[c->level], "segment_pct",
                                              c->segment_pct, "total_pct", c->total_pct, "index",
                                              cli_json_number(c->index), "z", cli_json_number(c->z),
                                              "p_adjusted", cli_json_number(c->p_adjusted)));
      }
      json_array_append_new(
          segs, json_pack("{s:s, s:f, s:f, s:o}", "segment", r->seg.labels[s], "size",
                          segkit_profile_segment_size(p, s), "share",
                          segkit_profile_segment_share(p, s), "distinctive", list));
    }
    json_t *cells = json_array();
    for (size_t i = 0; i < segkit_profile_n_cells(p); i++) {
      const segkit_profile_cell *c = segkit_profile_cell_at(p, i);
      json_array_append_new(
          cells,
          json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:f, s:b, s:b}", "segment",
                    r->seg.labels[c->segment], "question", r->qs[c->question].name, "answer",
                    r->qs[c->question].labels[c->level], "segment_pct",
                    cli_json_number(c->segment_pct), "total_pct", cli_json_number(c->total_pct),
                    "rest_pct", cli_json_number(c->rest_pct), "index", cli_json_number(c->index),
                    "z", cli_json_number(c->z), "p", cli_json_number(c->p), "p_adjusted",
                    cli_json_number(c->p_adjusted), "segment_base", c->segment_base, "significant",
                    c->significant, "small_base", c->small_base));
    }
    json_t *root = json_pack("{s:s, s:I, s:s, s:o, s:o}", "by", r->seg.name, "tests",
                             (json_int_t)segkit_profile_n_tests(p), "correction",
                             "benjamini-hochberg", "segments", segs, "cells", cells);
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
    free(idx);
    return 0;
  }
  static const char *const headers[] = {"segment", "question", "answer", "segment_pct",
                                        "total_pct", "index", "p_adjusted"};
  cli_grid *g = cli_grid_new(7, headers);
  for (uint32_t s = 0; g != NULL && s < r->seg.n_levels; s++) {
    size_t k = segkit_profile_top(p, s, top, idx);
    for (size_t i = 0; i < k; i++) {
      const segkit_profile_cell *c = segkit_profile_cell_at(p, idx[i]);
      cli_grid_row(g);
      char seg[160];
      snprintf(seg, sizeof seg, "%s (%.1f%%)", r->seg.labels[s],
               100 * segkit_profile_segment_share(p, s));
      cli_grid_text(g, i == 0 || a->format != CLI_FORMAT_TABLE ? seg : "");
      cli_grid_text(g, r->qs[c->question].name);
      cli_grid_text(g, r->qs[c->question].labels[c->level]);
      cli_grid_real(g, c->segment_pct, 1);
      cli_grid_real(g, c->total_pct, 1);
      cli_grid_real(g, c->index, 0);
      char pv[32];
      snprintf(pv, sizeof pv, "%.2g", c->p_adjusted);
      cli_grid_text(g, pv);
    }
    if (k == 0) {
      cli_grid_row(g);
      cli_grid_text(g, r->seg.labels[s]);
      cli_grid_text(g, "(nothing significant)");
      for (int j = 0; j < 5; j++) {
        cli_grid_null(g);
      }
    }
  }
  int rc = g != NULL && cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  if (rc == 0 && a->format == CLI_FORMAT_TABLE) {
    printf("per segment, the answers that most set it apart (largest |z| against the rest, "
           "Benjamini-Hochberg over all %zu tests); index = segment %% / total %% x 100\n",
           segkit_profile_n_tests(p));
  }
  free(idx);
  return rc;
}

int survey_profile(cli_args *a) {
  int64_t top = DEFAULT_TOP;
  if (!cli_get_int(a, "top", 1, MAX_TOP, &top)) {
    return CLI_EXIT_USAGE;
  }
  double alpha = 0.05;
  if (!cli_get_fraction(a, "survey", "alpha", &alpha)) {
    return CLI_EXIT_USAGE;
  }
  survey_source src;
  segkit_table *t = NULL;
  segkit_codebook *cb = NULL;
  profile_run r;
  memset(&r, 0, sizeof r);
  int rc = survey_open_segments(a, &src, &t, &cb, &r.seg);
  if (t == NULL) {
    return rc;
  }
  const char *by = src.by;
  const char *id = src.id;
  /* the questions */
  const char *names[MAX_QUESTIONS];
  size_t n_names = 0;
  char qbuf[8192];
  if (rc == 0 && cli_get(a, "questions") != NULL) {
    snprintf(qbuf, sizeof qbuf, "%s", cli_get(a, "questions"));
    if (strlen(cli_get(a, "questions")) >= sizeof qbuf ||
        !cli_split_list(qbuf, names, MAX_QUESTIONS, &n_names)) {
      rc = cli_usage_error("survey", "--questions needs a comma-separated list of columns");
    }
  } else if (rc == 0) {
    for (size_t c = 0; c < segkit_table_n_cols(t) && n_names < MAX_QUESTIONS; c++) {
      if (auto_question(t, c, cb, id, by)) {
        names[n_names++] = segkit_column_name(segkit_table_column(t, c));
      }
    }
    if (n_names == 0) {
      rc = cli_usage_error("survey", "no questions to profile: name them with --questions");
    }
  }
  if (rc == 0) {
    r.qs = calloc(n_names, sizeof *r.qs);
    r.pq = calloc(n_names, sizeof *r.pq);
    rc = r.qs == NULL || r.pq == NULL ? CLI_EXIT_ENV : 0;
  }
  for (size_t q = 0; rc == 0 && q < n_names; q++) {
    rc = survey_question_from_column(t, names[q], "survey", cb, &r.qs[q]);
    r.n_qs = q + 1;
    if (rc == 0) {
      r.pq[q] = (segkit_profile_question){.name = r.qs[q].name, .codes = r.qs[q].codes,
                                          .n_levels = r.qs[q].n_levels,
                                          .level_labels = (const char *const *)r.qs[q].labels};
    }
  }
  if (rc == 0) {
    rc = survey_weights_from_args(a, t, "survey", &r.w);
  }
  segkit_profile *p = NULL;
  segkit_error err;
  if (rc == 0) {
    segkit_profile_input in = {.n = r.seg.n, .segment = r.seg.codes,
                               .n_segments = r.seg.n_levels,
                               .segment_labels = (const char *const *)r.seg.labels,
                               .questions = r.pq, .n_questions = n_names, .weights = r.w};
    segkit_profile_options po = {.alpha = alpha, .min_base = 30};
    if (segkit_profile_new(&in, &po, &p, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  if (rc == 0) {
    rc = print_profile(a, &r, p, (size_t)top);
  }
  segkit_profile_free(p);
  run_free(&r);
  segkit_codebook_free(cb);
  segkit_table_free(t);
  return rc;
}
