/* segkit survey crosstab: a question by another question or a segment, with the
 * column-proportion letters researchers read and the chi-square test.
 *
 * The JSON of crosstab is a contract other programs rely on: the cell counts, column
 * percentages and "chi2", "df", "p" (docs/cli.md). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survey.h"
#include "survey_cli.h"

static int sig_options(cli_args *a, segkit_sig_options *o) {
  memset(o, 0, sizeof *o);
  const char *adj = cli_get(a, "adjust");
  if (adj == NULL || strcmp(adj, "bonferroni") == 0) {
    o->adjust = SEGKIT_ADJUST_BONFERRONI;
  } else if (strcmp(adj, "holm") == 0) {
    o->adjust = SEGKIT_ADJUST_HOLM;
  } else if (strcmp(adj, "none") == 0) {
    o->adjust = SEGKIT_ADJUST_NONE;
  } else {
    return cli_usage_error("survey", "--adjust must be bonferroni, holm or none, not '%s'", adj);
  }
  if (!cli_get_fraction(a, "survey", "alpha", &o->alpha)) {
    return CLI_EXIT_USAGE;
  }
  int64_t small = 30;
  if (!cli_get_int(a, "small-base", 0, INT64_C(1000000000), &small)) {
    return CLI_EXIT_USAGE;
  }
  o->small_base = small > 0 ? (double)small : 1e-300;
  return 0;
}

static const char *adjust_name(segkit_adjust a) {
  return a == SEGKIT_ADJUST_HOLM ? "holm" : a == SEGKIT_ADJUST_NONE ? "none" : "bonferroni";
}

/* The data of crosstab and size: --dataset NAME or the FILE after the subcommand. */
int survey_load(cli_args *a, size_t first_file, segkit_table **t) {
  const char *dataset = cli_get(a, "dataset");
  if ((dataset == NULL) == (a->n_positional <= first_file)) {
    return cli_usage_error("survey", "give --dataset NAME or one FILE");
  }
  return cli_load_named(a, "survey", dataset, dataset == NULL ? a->positional[first_file] : NULL,
                        t);
}

static char letter_of(uint32_t c) {
  return c < 26 ? (char)('A' + c) : c < 52 ? (char)('a' + (c - 26)) : '?';
}

static int crosstab_json(const survey_question *rq, const survey_question *cq,
                         const segkit_crosstab_view *v, const segkit_sig_options *so) {
  json_t *cols = json_array();
  for (uint32_t c = 0; c < v->n_cols; c++) {
    char letter[2] = {v->has_letters ? letter_of(c) : '\0', '\0'};
    json_array_append_new(
        cols, json_pack("{s:s, s:s, s:f, s:I, s:f, s:b}", "label", cq->labels[c], "letter",
                        letter, "base", v->col_base[c], "base_unweighted",
                        (json_int_t)v->col_base_unweighted[c], "base_effective",
                        v->col_base_effective[c], "small", v->col_small[c]));
  }
  json_t *rows = json_array();
  for (uint32_t r = 0; r < v->n_rows; r++) {
    json_t *cells = json_array();
    for (uint32_t c = 0; c < v->n_cols; c++) {
      size_t i = (size_t)r * v->n_cols + c;
      json_array_append_new(cells, json_pack("{s:f, s:I, s:o, s:o, s:s}", "count", v->count[i],
                                             "count_unweighted", (json_int_t)v->count_unweighted[i],
                                             "col_pct", cli_json_number(v->col_pct[i]), "row_pct",
                                             cli_json_number(v->row_pct[i]), "higher_than",
                                             v->letters[i]));
    }
    json_array_append_new(rows, json_pack("{s:s, s:f, s:o}", "label", rq->labels[r], "base",
                                          v->row_base[r], "cells", cells));
  }
  json_t *root =
      json_pack("{s:s, s:s, s:b, s:I, s:I, s:f, s:o, s:o, s:o, s:o, s:s, s:o, s:s, s:f, s:o, s:o}",
                "question", rq->name, "by", cq->name, "weighted", v->weighted, "n_used",
                (json_int_t)v->n_used, "n_missing", (json_int_t)v->n_missing, "total", v->total,
                "chi2", cli_json_number(v->chi2), "df", cli_json_number(v->df), "p",
                cli_json_number(v->p), "chi2_adjusted", cli_json_number(v->chi2_adjusted), "test",
                v->weighted ? "rao-scott" : "pearson", "mean_deff", cli_json_number(v->mean_deff),
                "adjust", adjust_name(so->adjust), "alpha", so->alpha > 0 ? so->alpha : 0.05,
                "columns", cols, "rows", rows);
  json_dumpf(root, stdout, CLI_JSON_FLAGS);
  printf("\n");
  json_decref(root);
  return 0;
}

static int crosstab_csv(const survey_question *rq, const survey_question *cq,
                        const segkit_crosstab_view *v) {
  static const char *const headers[] = {"row", "column", "count", "count_unweighted",
                                        "col_pct", "row_pct", "higher_than"};
  cli_grid *g = cli_grid_new(7, headers);
  for (uint32_t r = 0; g != NULL && r < v->n_rows; r++) {
    for (uint32_t c = 0; c < v->n_cols; c++) {
      size_t i = (size_t)r * v->n_cols + c;
      cli_grid_row(g);
      cli_grid_text(g, rq->labels[r]);
      cli_grid_text(g, cq->labels[c]);
      cli_grid_real(g, v->count[i], 6);
      cli_grid_int(g, (int64_t)v->count_unweighted[i]);
      if (isfinite(v->col_pct[i])) {
        cli_grid_real(g, v->col_pct[i], 4);
      } else {
        cli_grid_null(g);
      }
      if (isfinite(v->row_pct[i])) {
        cli_grid_real(g, v->row_pct[i], 4);
      } else {
        cli_grid_null(g);
      }
      cli_grid_text(g, v->letters[i]);
    }
  }
  int rc = g != NULL && cli_grid_print(g, CLI_FORMAT_CSV, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  return rc;
}

/* The layout researchers read: a column per answer of --by with its letter, the column
 * percentages with the letters of the columns each is significantly above, and the bases. */
static int crosstab_table(const survey_question *rq, const survey_question *cq,
                          const segkit_crosstab_view *v, const segkit_sig_options *so) {
  size_t nc = (size_t)v->n_cols + 1;
  const char **headers = calloc(nc, sizeof *headers);
  char (*head)[96] = calloc(nc, sizeof *head);
  if (headers == NULL || head == NULL) {
    free(headers);
    free(head);
    return CLI_EXIT_ENV;
  }
  snprintf(head[0], sizeof head[0], "%s \\ %s", rq->name, cq->name);
  headers[0] = head[0];
  for (uint32_t c = 0; c < v->n_cols; c++) {
    if (v->has_letters) {
      snprintf(head[c + 1], sizeof head[c + 1], "%.80s (%c)", cq->labels[c], letter_of(c));
    } else {
      snprintf(head[c + 1], sizeof head[c + 1], "%.80s", cq->labels[c]);
    }
    headers[c + 1] = head[c + 1];
  }
  cli_grid *g = cli_grid_new(nc, headers);
  char cell[128];
  for (uint32_t r = 0; g != NULL && r < v->n_rows; r++) {
    cli_grid_row(g);
    cli_grid_text(g, rq->labels[r]);
    for (uint32_t c = 0; c < v->n_cols; c++) {
      size_t i = (size_t)r * v->n_cols + c;
      if (isfinite(v->col_pct[i])) {
        snprintf(cell, sizeof cell, "%.1f%% %s", v->col_pct[i], v->letters[i]);
      } else {
        snprintf(cell, sizeof cell, "-");
      }
      cli_grid_text(g, cell);
    }
  }
  if (g != NULL) {
    cli_grid_row(g);
    cli_grid_text(g, v->weighted ? "base (weighted)" : "base");
    for (uint32_t c = 0; c < v->n_cols; c++) {
      if (v->weighted) {
        snprintf(cell, sizeof cell, "%.1f%s", v->col_base[c], v->col_small[c] ? " *" : "");
      } else {
        snprintf(cell, sizeof cell, "%llu%s", (unsigned long long)v->col_base_unweighted[c],
                 v->col_small[c] ? " *" : "");
      }
      cli_grid_text(g, cell);
    }
  }
  if (g != NULL && v->weighted) {
    cli_grid_row(g);
    cli_grid_text(g, "respondents");
    for (uint32_t c = 0; c < v->n_cols; c++) {
      cli_grid_int(g, (int64_t)v->col_base_unweighted[c]);
    }
  }
  int rc = g != NULL && cli_grid_print(g, CLI_FORMAT_TABLE, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  free(headers);
  free(head);
  if (rc != 0) {
    return rc;
  }
  double alpha = so->alpha > 0 ? so->alpha : 0.05;
  printf("column percentages; a letter marks a column this cell is higher than (two-proportion "
         "z-test%s, %s-corrected within the row, alpha %g)",
         v->weighted ? " on effective bases" : "", adjust_name(so->adjust), alpha);
  bool any_small = false;
  for (uint32_t c = 0; c < v->n_cols; c++) {
    any_small = any_small || v->col_small[c];
  }
  printf("%s\n", any_small ? "; * base below the small-base limit: read with care" : "");
  if (isfinite(v->p)) {
    if (v->weighted) {
      printf("chi-square (Rao-Scott, weighted) %.3f, df %.0f, p %.4g; %zu respondents, %zu "
             "without an answer\n",
             v->chi2_adjusted, v->df, v->p, v->n_used, v->n_missing);
    } else {
      printf("chi-square %.3f, df %.0f, p %.4g; %zu respondents, %zu without an answer\n",
             v->chi2, v->df, v->p, v->n_used, v->n_missing);
    }
  } else {
    printf("chi-square: not defined for this table (df %.0f); %zu respondents\n", v->df,
           v->n_used);
  }
  (void)rq;
  return 0;
}

/* --mean: the question as a scale, its (weighted) mean per column with the standard error
 * and letters of the columns each mean is significantly above. */
static int means_of(cli_args *a, const segkit_table *t, const char *q, const survey_question *cq,
                    const double *w, const segkit_sig_options *so) {
  segkit_means *m = NULL;
  int rc = survey_means_by(t, q, cq, w, so, &m);
  const segkit_means_view *v = rc == 0 ? segkit_means_get(m) : NULL;
  if (rc == 0 && a->format == CLI_FORMAT_JSON) {
    json_t *cols = json_array();
    for (uint32_t c = 0; c < v->n_cols; c++) {
      char letter[2] = {v->has_letters ? letter_of(c) : '\0', '\0'};
      json_array_append_new(cols, json_pack("{s:s, s:s, s:o, s:o, s:f, s:I, s:b, s:s}", "label",
                                            cq->labels[c], "letter", letter, "mean",
                                            cli_json_number(v->mean[c]), "se",
                                            cli_json_number(v->se[c]), "base", v->base[c],
                                            "base_unweighted", (json_int_t)v->base_unweighted[c],
                                            "small", v->small[c], "higher_than", v->letters[c]));
    }
    json_t *root =
        json_pack("{s:s, s:s, s:b, s:o, s:o, s:I, s:I, s:s, s:o}", "question", q, "by", cq->name,
                  "weighted", w != NULL, "mean", cli_json_number(v->mean_all), "se",
                  cli_json_number(v->se_all), "n_used", (json_int_t)v->n_used, "n_missing",
                  (json_int_t)v->n_missing, "adjust", adjust_name(so->adjust), "columns", cols);
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
  } else if (rc == 0) {
    static const char *const headers[] = {"column", "mean", "se", "base", "higher_than"};
    cli_grid *g = cli_grid_new(5, headers);
    char label[128];
    for (uint32_t c = 0; g != NULL && c < v->n_cols; c++) {
      cli_grid_row(g);
      snprintf(label, sizeof label, "%.100s%s%c%s", cq->labels[c], v->has_letters ? " (" : "",
               v->has_letters ? letter_of(c) : ' ', v->has_letters ? ")" : "");
      cli_grid_text(g, label);
      if (isfinite(v->mean[c])) {
        cli_grid_real(g, v->mean[c], 3);
        cli_grid_real(g, v->se[c], 3);
      } else {
        cli_grid_null(g);
        cli_grid_null(g);
      }
      snprintf(label, sizeof label, "%.1f%s", v->base[c], v->small[c] ? " *" : "");
      cli_grid_text(g, label);
      cli_grid_text(g, v->letters[c]);
    }
    rc = g != NULL && cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
    cli_grid_free(g);
    if (rc == 0 && a->format == CLI_FORMAT_TABLE) {
      printf("mean of %s by %s%s: overall %.3f (se %.3f), %zu respondents; letters: columns "
             "this mean is above (z-tests, %s-corrected)\n",
             q, cq->name, w != NULL ? ", weighted" : "", v->mean_all, v->se_all, v->n_used,
             adjust_name(so->adjust));
    }
  }
  segkit_means_free(m);
  return rc;
}

int survey_crosstab(cli_args *a) {
  const char *by = cli_get(a, "by");
  if (a->n_positional < 2 || by == NULL) {
    return cli_usage_error("survey", "expected: survey crosstab QUESTION --by QUESTION2 "
                                     "(--dataset NAME | FILE)");
  }
  segkit_sig_options so;
  int rc = sig_options(a, &so);
  segkit_table *t = NULL;
  if (rc == 0) {
    rc = survey_load(a, 2, &t);
  }
  survey_question rq, cq;
  memset(&rq, 0, sizeof rq);
  memset(&cq, 0, sizeof cq);
  double *w = NULL;
  segkit_codebook *cb = rc == 0 ? survey_codebook_load(a, cli_get(a, "dataset")) : NULL;
  bool mean = cli_has(a, "mean");
  if (rc == 0 && !mean) {
    rc = survey_question_from_column(t, a->positional[1], "survey", cb, &rq);
  }
  if (rc == 0) {
    rc = survey_question_from_column(t, by, "survey", cb, &cq);
  }
  if (rc == 0) {
    rc = survey_weights_from_args(a, t, "survey", &w);
  }
  if (rc == 0 && mean) {
    rc = means_of(a, t, a->positional[1], &cq, w, &so);
    segkit_codebook_free(cb);
    free(w);
    survey_question_free(&cq);
    segkit_table_free(t);
    return rc;
  }
  segkit_crosstab *x = NULL;
  segkit_error err;
  if (rc == 0) {
    segkit_crosstab_input in = {.n = rq.n, .row_codes = rq.codes, .n_row_levels = rq.n_levels,
                                .col_codes = cq.codes, .n_col_levels = cq.n_levels,
                                .weights = w};
    if (segkit_crosstab_new(&in, &so, &x, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  if (rc == 0) {
    const segkit_crosstab_view *v = segkit_crosstab_get(x);
    rc = a->format == CLI_FORMAT_JSON  ? crosstab_json(&rq, &cq, v, &so)
         : a->format == CLI_FORMAT_CSV ? crosstab_csv(&rq, &cq, v)
                                       : crosstab_table(&rq, &cq, v, &so);
  }
  segkit_crosstab_free(x);
  segkit_codebook_free(cb);
  free(w);
  survey_question_free(&rq);
  survey_question_free(&cq);
  segkit_table_free(t);
  return rc;
}
