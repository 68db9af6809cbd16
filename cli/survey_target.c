/* segkit survey target --by SEGMENT: which segment to go after, and who exactly that is.
 *
 * The segments side by side on size (weighted share, and people or companies with
 * --population), value (the mean of --value-col, e.g. a budget) and fit (the mean of
 * --fit-col, e.g. purchase intent), and with --typing MODEL --customers NAME on our
 * customers there: their index against the market (higher = where we already win) and,
 * with --subscriptions, their LTV (retention); each ranked, and an overall rank as the
 * mean of the ranks (a Borda count: no weights to argue about, each criterion counts
 * once).
 * Then the ideal-customer profile of the chosen segment (the best overall, or --segment):
 * one clause per question whose answers the segment gives significantly more often than
 * the market (the profile's Benjamini-Hochberg cells with index >= 120), in the
 * codebook's words, each clause printed with the profile rows it comes from. Key design
 * choice: every word of the statement is traceable to a row of the profile table. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/insight.h"
#include "segkit/survey.h"
#include "survey_cli.h"

enum { MAX_SEGMENTS = 64, MAX_Q = 512, MAX_CLAUSES = 6, MIN_INDEX = 120 };

/* Per-segment (weighted) means of a numeric column, NaN where undefined. */
static int segment_means(const segkit_table *t, const char *col, const survey_question *seg,
                         const double *w, double *out) {
  segkit_means *m = NULL;
  int rc = survey_means_by(t, col, seg, w, NULL, &m);
  if (rc == 0) {
    memcpy(out, segkit_means_get(m)->mean, seg->n_levels * sizeof *out);
  }
  segkit_means_free(m);
  return rc;
}

/* Rank 1 = the largest; NaN last. */
static void ranks_of(const double *v, size_t k, double *rank) {
  for (size_t i = 0; i < k; i++) {
    size_t above = 0;
    for (size_t j = 0; j < k; j++) {
      bool better = isfinite(v[j]) && (!isfinite(v[i]) || v[j] > v[i]);
      above += better;
    }
    rank[i] = (double)above + 1;
  }
}

typedef struct clause {
  size_t question;
  double z;            /* the strongest cell's */
  size_t cells[8];
  size_t n_cells;
} clause;

static int cmp_clause(const void *a, const void *b) {
  double x = ((const clause *)a)->z;
  double y = ((const clause *)b)->z;
  return (x < y) - (x > y);
}

/* A numeric question where the segment differs from the rest: its middle half. */
typedef struct range_clause {
  const char *name, *text;
  double q25, q75, mean_segment, mean_rest, p;   /* p: Bonferroni over the numeric tests */
} range_clause;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The codebook's numeric questions on which the chosen segment's mean differs from the
 * rest's (z-test on the two linearisation SEs, as survey crosstab --mean; Bonferroni over
 * the numeric questions tested), each with the segment's interquartile range (answers
 * as given, unweighted). */
static int numeric_clauses(const segkit_table *t, const segkit_codebook *cb,
                           const survey_question *seg, size_t chosen, const double *w,
                           const char *by, const char *id, range_clause *out, size_t max,
                           size_t *n_out) {
  *n_out = 0;
  size_t n = segkit_table_n_rows(t);
  survey_question two = {.name = "segment", .n = n, .n_levels = 2};
  two.codes = malloc((n + 1) * sizeof *two.codes);
  double *vals = malloc((n + 1) * sizeof *vals);
  if (two.codes == NULL || vals == NULL) {
    free(two.codes);
    free(vals);
    return CLI_EXIT_ENV;
  }
  for (size_t i = 0; i < n; i++) {
    two.codes[i] = seg->codes[i] < 0 ? -1 : seg->codes[i] == (int32_t)chosen ? 0 : 1;
  }
  range_clause found[MAX_Q];
  size_t nf = 0, tested = 0;
  int rc = 0;
  for (size_t c = 0; rc == 0 && c < segkit_table_n_cols(t) && nf < MAX_Q; c++) {
    const char *name = segkit_column_name(segkit_table_column(t, c));
    long v = cb != NULL ? segkit_codebook_find(cb, name) : -1;
    if (v < 0 || segkit_codebook_type(cb, (size_t)v) != SEGKIT_SURVEY_NUMERIC ||
        strcmp(name, by) == 0 || strcmp(name, id) == 0) {
      continue;
    }
    segkit_sig_options so = {.alpha = 0.05, .adjust = SEGKIT_ADJUST_NONE};
    segkit_means *m = NULL;
    rc = survey_means_by(t, name, &two, w, &so, &m);
    if (rc != 0) {
      break;
    }
    const segkit_means_view *mv = segkit_means_get(m);
    tested++;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      double x = survey_value_at(segkit_table_column(t, c), i);
      if (two.codes[i] == 0 && isfinite(x)) {
        vals[k++] = x;
      }
    }
    if (k >= 4 && isfinite(mv->pair_p[1])) {
      qsort(vals, k, sizeof *vals, cmp_double);
      found[nf++] = (range_clause){.name = name, .text = segkit_codebook_question(cb, (size_t)v),
                                   .q25 = vals[(k - 1) / 4], .q75 = vals[(3 * (k - 1)) / 4],
                                   .mean_segment = mv->mean[0], .mean_rest = mv->mean[1],
                                   .p = mv->pair_p[1]};
    }
    segkit_means_free(m);
  }
  for (size_t i = 0; i < nf && *n_out < max; i++) {
    found[i].p = fmin(1.0, found[i].p * (double)tested);
    if (found[i].p < 0.05) {
      out[(*n_out)++] = found[i];
    }
  }
  free(two.codes);
  free(vals);
  return rc;
}

int survey_target(cli_args *a) {
  double population = 0;
  if (cli_get(a, "population") != NULL) {
    char *end = NULL;
    population = strtod(cli_get(a, "population"), &end);
    if (end == cli_get(a, "population") || *end != '\0' || !(population > 0)) {
      return cli_usage_error("survey", "--population must be a number > 0");
    }
  }
  survey_source src;
  segkit_table *t = NULL;
  segkit_codebook *cb = NULL;
  survey_question seg;
  int rc = survey_open_segments(a, &src, &t, &cb, &seg);
  if (t == NULL) {
    return rc;
  }
  const char *by = src.by;
  const char *id = src.id;
  double *w = NULL;
  if (rc == 0 && seg.n_levels > MAX_SEGMENTS) {
    rc = cli_usage_error("survey", "at most %d segments", MAX_SEGMENTS);
  }
  if (rc == 0) {
    rc = survey_weights_from_args(a, t, "survey", &w);
  }
  size_t k = seg.n_levels;
  double share[MAX_SEGMENTS], value[MAX_SEGMENTS], fit[MAX_SEGMENTS];
  double traction[MAX_SEGMENTS], ltv[MAX_SEGMENTS];
  double r_size[MAX_SEGMENTS], r_value[MAX_SEGMENTS], r_fit[MAX_SEGMENTS], overall[MAX_SEGMENTS];
  double r_traction[MAX_SEGMENTS], r_ltv[MAX_SEGMENTS];
  for (size_t s = 0; s < MAX_SEGMENTS; s++) {
    share[s] = value[s] = fit[s] = traction[s] = ltv[s] = NAN;
  }
  const char *typing = cli_get(a, "typing");
  const char *customers = cli_get(a, "customers");
  if (rc == 0 && (typing == NULL) != (customers == NULL)) {
    rc = cli_usage_error("survey", "--typing MODEL and --customers NAME go together (our "
                                   "customers typed into the segments)");
  }
  segkit_error err;
  if (rc == 0) {
    segkit_shares *sh = NULL;
    segkit_shares_input in = {.n = seg.n, .codes = seg.codes, .n_levels = seg.n_levels,
                              .weights = w, .level = 0.95};
    if (segkit_shares_new(&in, &sh, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
    for (size_t s = 0; rc == 0 && s < k; s++) {
      share[s] = segkit_shares_at(sh, (uint32_t)s)->share;
    }
    segkit_shares_free(sh);
  }
  if (rc == 0 && cli_get(a, "value-col") != NULL) {
    rc = segment_means(t, cli_get(a, "value-col"), &seg, w, value);
  }
  if (rc == 0 && cli_get(a, "fit-col") != NULL) {
    rc = segment_means(t, cli_get(a, "fit-col"), &seg, w, fit);
  }
  if (rc == 0 && typing != NULL) {
    rc = survey_customer_mix(a, typing, customers, k, seg.labels, traction, ltv);
  }
  bool has_ltv = typing != NULL && cli_get(a, "subscriptions") != NULL;
  /* the ranking */
  size_t order[MAX_SEGMENTS];
  if (rc == 0) {
    ranks_of(share, k, r_size);
    ranks_of(value, k, r_value);
    ranks_of(fit, k, r_fit);
    ranks_of(traction, k, r_traction);
    ranks_of(ltv, k, r_ltv);
    for (size_t s = 0; s < k; s++) {
      double sum = r_size[s], used = 1;
      if (typing != NULL) {
        sum += r_traction[s];
        used++;
      }
      if (has_ltv) {
        sum += r_ltv[s];
        used++;
      }
      if (cli_get(a, "value-col") != NULL) {
        sum += r_value[s];
        used++;
      }
      if (cli_get(a, "fit-col") != NULL) {
        sum += r_fit[s];
        used++;
      }
      overall[s] = sum / used;
      order[s] = s;
    }
    for (size_t i = 1; i < k; i++) { /* insertion sort by overall rank, then size */
      size_t x = order[i];
      size_t j = i;
      while (j > 0 && (overall[order[j - 1]] > overall[x] ||
                       (overall[order[j - 1]] == overall[x] && share[order[j - 1]] < share[x]))) {
        order[j] = order[j - 1];
        j--;
      }
      order[j] = x;
    }
  }
  /* the chosen segment */
  size_t chosen = rc == 0 && k > 0 ? order[0] : 0;
  if (rc == 0 && cli_get(a, "segment") != NULL) {
    size_t s = 0;
    while (s < k && strcmp(seg.labels[s], cli_get(a, "segment")) != 0) {
      s++;
    }
    if (s == k) {
      rc = cli_usage_error("survey", "no segment '%s' in column %s", cli_get(a, "segment"), by);
    }
    chosen = s;
  }
  /* the profile of every question but the segment's, value's and fit's own columns */
  survey_question *qs = NULL;
  segkit_profile_question *pq = NULL;
  size_t nq = 0;
  if (rc == 0) {
    qs = calloc(segkit_table_n_cols(t) + 1, sizeof *qs);
    pq = calloc(segkit_table_n_cols(t) + 1, sizeof *pq);
    rc = qs == NULL || pq == NULL ? CLI_EXIT_ENV : 0;
  }
  for (size_t c = 0; rc == 0 && c < segkit_table_n_cols(t) && nq < MAX_Q; c++) {
    const char *name = segkit_column_name(segkit_table_column(t, c));
    long v = cb != NULL ? segkit_codebook_find(cb, name) : -1;
    segkit_survey_type ty = v >= 0 ? segkit_codebook_type(cb, (size_t)v) : SEGKIT_SURVEY_TEXT;
    if (strcmp(name, by) == 0 || strcmp(name, id) == 0 ||
        (ty != SEGKIT_SURVEY_SINGLE && ty != SEGKIT_SURVEY_LIKERT)) {
      continue;
    }
    rc = survey_question_from_column(t, name, "survey", cb, &qs[nq]);
    if (rc == 0) {
      pq[nq] = (segkit_profile_question){.name = qs[nq].name, .codes = qs[nq].codes,
                                         .n_levels = qs[nq].n_levels,
                                         .level_labels = (const char *const *)qs[nq].labels};
      nq++;
    }
  }
  segkit_profile *p = NULL;
  if (rc == 0 && nq == 0) {
    rc = cli_usage_error("survey", "target needs a codebook with coded questions (segkit survey "
                                   "import ... --codebook)");
  }
  if (rc == 0) {
    segkit_profile_input in = {.n = seg.n, .segment = seg.codes, .n_segments = seg.n_levels,
                               .questions = pq, .n_questions = nq, .weights = w};
    if (segkit_profile_new(&in, NULL, &p, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  /* clauses: the chosen segment's over-represented, significant answers, per question */
  clause *cl = rc == 0 ? calloc(nq + 1, sizeof *cl) : NULL;
  size_t ncl = 0;
  for (size_t q = 0; cl != NULL && q < nq; q++) {
    clause c = {.question = q, .z = 0};
    for (size_t i = 0; i < segkit_profile_n_cells(p); i++) {
      const segkit_profile_cell *x = segkit_profile_cell_at(p, i);
      if (x->question == q && x->segment == chosen && x->significant && x->index >= MIN_INDEX &&
          c.n_cells < 8) {
        c.cells[c.n_cells++] = i;
        c.z = x->z > c.z ? x->z : c.z;
      }
    }
    if (c.n_cells > 0) {
      cl[ncl++] = c;
    }
  }
  if (cl != NULL) {
    qsort(cl, ncl, sizeof *cl, cmp_clause);
  }
  size_t shown = ncl < MAX_CLAUSES ? ncl : MAX_CLAUSES;
  /* numeric questions: the segment's middle half where its mean differs */
  range_clause rcl[MAX_CLAUSES];
  size_t nr = 0;
  if (rc == 0) {
    rc = numeric_clauses(t, cb, &seg, chosen, w, by, id, rcl, MAX_CLAUSES, &nr);
  }
  /* the statement */
  char statement[8192];
  size_t used = 0;
  if (rc == 0) {
    used += (size_t)snprintf(statement, sizeof statement, "%s: ", seg.labels[chosen]);
    for (size_t i = 0; i < shown && used < sizeof statement; i++) {
      const survey_question *q = &qs[cl[i].question];
      long v = segkit_codebook_find(cb, q->name);
      const char *text = v >= 0 && segkit_codebook_question(cb, (size_t)v)[0] != '\0'
                             ? segkit_codebook_question(cb, (size_t)v)
                             : q->name;
      used += (size_t)snprintf(statement + used, sizeof statement - used, "%s\"%s\" ",
                               i > 0 ? "; " : "", text);
      for (size_t c = 0; c < cl[i].n_cells && used < sizeof statement; c++) {
        const segkit_profile_cell *x = segkit_profile_cell_at(p, cl[i].cells[c]);
        used += (size_t)snprintf(statement + used, sizeof statement - used, "%s%s",
                                 c > 0 ? " or " : "", q->labels[x->level]);
      }
    }
    for (size_t i = 0; i < nr && used < sizeof statement; i++) {
      used += (size_t)snprintf(statement + used, sizeof statement - used, "%s\"%s\" %g-%g",
                               shown + i > 0 ? "; " : "",
                               rcl[i].text[0] != '\0' ? rcl[i].text : rcl[i].name, rcl[i].q25,
                               rcl[i].q75);
    }
    if (shown == 0 && nr == 0) {
      snprintf(statement + used, sizeof statement - used,
               "no answer sets this segment apart significantly");
    }
  }
  if (rc == 0 && a->format == CLI_FORMAT_JSON) {
    json_t *ranking = json_array();
    for (size_t i = 0; i < k; i++) {
      size_t s = order[i];
      json_array_append_new(
          ranking, json_pack("{s:s, s:f, s:o, s:o, s:o, s:f, s:f, s:f, s:f}", "segment",
                             seg.labels[s], "share", share[s], "size",
                             population > 0 ? json_real(share[s] * population) : json_null(),
                             "value", cli_json_number(value[s]), "fit", cli_json_number(fit[s]),
                             "rank_size", r_size[s], "rank_value", r_value[s], "rank_fit", r_fit[s],
                             "overall_rank", overall[s]));
      json_t *row = json_array_get(ranking, i);
      json_object_set_new(row, "customer_index", cli_json_number(traction[s]));
      json_object_set_new(row, "ltv", cli_json_number(ltv[s]));
    }
    json_t *trace = json_array();
    for (size_t i = 0; i < shown; i++) {
      for (size_t c = 0; c < cl[i].n_cells; c++) {
        const segkit_profile_cell *x = segkit_profile_cell_at(p, cl[i].cells[c]);
        json_array_append_new(
            trace, json_pack("{s:s, s:s, s:f, s:f, s:f, s:f}", "question", qs[x->question].name,
                             "answer", qs[x->question].labels[x->level], "segment_pct",
                             x->segment_pct, "total_pct", x->total_pct, "index", x->index,
                             "p_adjusted", x->p_adjusted));
      }
    }
    json_t *ranges = json_array();
    for (size_t i = 0; i < nr; i++) {
      json_array_append_new(
          ranges, json_pack("{s:s, s:f, s:f, s:f, s:f, s:f}", "question", rcl[i].name, "q25",
                            rcl[i].q25, "q75", rcl[i].q75, "segment_mean", rcl[i].mean_segment,
                            "rest_mean", rcl[i].mean_rest, "p_adjusted", rcl[i].p));
    }
    json_t *root = json_pack("{s:o, s:s, s:s, s:o, s:o}", "ranking", ranking, "chosen",
                             seg.labels[chosen], "profile", statement, "trace", trace,
                             "ranges", ranges);
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
  } else if (rc == 0) {
    const char *headers[] = {"rank", "segment", "share_pct", "size", "value", "fit",
                             "customer_index", "ltv"};
    cli_grid *g = cli_grid_new(typing != NULL ? 8 : 6, headers);
    for (size_t i = 0; g != NULL && i < k; i++) {
      size_t s = order[i];
      cli_grid_row(g);
      cli_grid_real(g, overall[s], 1);
      cli_grid_text(g, seg.labels[s]);
      cli_grid_real(g, 100 * share[s], 1);
      if (population > 0) {
        cli_grid_real(g, share[s] * population, 0);
      } else {
        cli_grid_null(g);
      }
      if (isfinite(value[s])) {
        cli_grid_real(g, value[s], 1);
      } else {
        cli_grid_null(g);
      }
      if (isfinite(fit[s])) {
        cli_grid_real(g, fit[s], 2);
      } else {
        cli_grid_null(g);
      }
      if (typing != NULL) {
        if (isfinite(traction[s])) {
          cli_grid_real(g, traction[s], 0);
        } else {
          cli_grid_null(g);
        }
        if (isfinite(ltv[s])) {
          cli_grid_real(g, ltv[s], 0);
        } else {
          cli_grid_null(g);
        }
      }
    }
    rc = g != NULL && cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
    cli_grid_free(g);
    if (rc == 0 && a->format == CLI_FORMAT_TABLE) {
      printf("rank: the mean of the segment's ranks on size%s%s%s%s%s%s (1 = first on every "
             "criterion)\n\n",
             cli_get(a, "value-col") != NULL ? ", value = mean " : "",
             cli_get(a, "value-col") != NULL ? cli_get(a, "value-col") : "",
             cli_get(a, "fit-col") != NULL ? ", fit = mean " : "",
             cli_get(a, "fit-col") != NULL ? cli_get(a, "fit-col") : "",
             typing != NULL ? ", customer_index = our customers' share / the market's x 100 "
                              "(where we already win)" : "",
             has_ltv ? ", ltv = our customers' lifetime value there (retention)" : "");
      printf("ideal customer profile\n  %s\n\nwhere each clause comes from (segment %% vs "
             "everyone, index, Benjamini-Hochberg p):\n", statement);
      for (size_t i = 0; i < shown; i++) {
        for (size_t c = 0; c < cl[i].n_cells; c++) {
          const segkit_profile_cell *x = segkit_profile_cell_at(p, cl[i].cells[c]);
          printf("  %-16s %-28s %5.1f%% vs %5.1f%%  index %4.0f  p %.2g\n",
                 qs[x->question].name, qs[x->question].labels[x->level], x->segment_pct,
                 x->total_pct, x->index, x->p_adjusted);
        }
      }
      for (size_t i = 0; i < nr; i++) {
        printf("  %-16s middle half %g-%g: mean %.1f vs %.1f for the rest, p %.2g "
               "(Bonferroni over the numeric questions)\n",
               rcl[i].name, rcl[i].q25, rcl[i].q75, rcl[i].mean_segment, rcl[i].mean_rest,
               rcl[i].p);
      }
    }
  }
  free(cl);
  segkit_profile_free(p);
  for (size_t q = 0; qs != NULL && q < nq; q++) {
    survey_question_free(&qs[q]);
  }
  free(qs);
  free(pq);
  free(w);
  survey_question_free(&seg);
  segkit_codebook_free(cb);
  segkit_table_free(t);
  return rc;
}
