/* segkit survey weight NAME --margins FILE: rake a survey dataset's respondents to
 * population margins and store the weights with the dataset.
 *
 * The margins file is CSV `variable,category,share` (a contract other programs rely on);
 * a variable names a column of the dataset and a category one of its answers as written,
 * or for a numeric column a range "18-24" (inclusive) or "65+", so an age in years rakes
 * to age bands without a banded column. Key design choice: the weights are stored as a
 * column of the dataset itself (replacing one of the same name), so every later analysis
 * of the dataset finds them with --weighted, and the raking report is kept in the audit
 * log of that import. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survey.h"
#include "survey_cli.h"

enum { MAX_VARS = 32, MAX_MARGIN_ROWS = 4096 };

typedef struct margins {
  segkit_table *t;                 /* owned: the file */
  segkit_margin_row *rows;         /* n_rows, strings borrowed from t */
  size_t n_rows;
  const char *vars[MAX_VARS];      /* distinct variables, first appearance order */
  size_t n_vars;
} margins;

static void margins_free(margins *m) {
  segkit_table_free(m->t);
  free(m->rows);
  memset(m, 0, sizeof *m);
}

static const char *string_at(const segkit_column *c, size_t i) {
  size_t len = 0;
  return segkit_column_is_valid(c, i) ? segkit_column_dict_value(c, segkit_column_codes(c)[i], &len)
                                      : NULL;
}

static int read_margins(const char *path, margins *m) {
  memset(m, 0, sizeof *m);
  segkit_read_options o;
  segkit_read_options_init(&o);
  const segkit_type_override types[] = {{"variable", SEGKIT_TYPE_STRING},
                                        {"category", SEGKIT_TYPE_STRING},
                                        {"share", SEGKIT_TYPE_FLOAT64}};
  o.types = types;
  o.n_types = 3;
  o.n_threads = 1;
  segkit_read_result *res = NULL;
  segkit_error err;
  if (segkit_csv_read(path, &o, &res, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  m->t = segkit_read_result_take_table(res);
  segkit_read_result_free(res);
  long iv = segkit_table_column_index(m->t, "variable");
  long ic = segkit_table_column_index(m->t, "category");
  long is = segkit_table_column_index(m->t, "share");
  if (iv < 0 || ic < 0 || is < 0) {
    return cli_usage_error("survey", "%s: expected the columns variable,category,share", path);
  }
  size_t n = segkit_table_n_rows(m->t);
  if (n == 0 || n > MAX_MARGIN_ROWS) {
    return cli_usage_error("survey", "%s: expected 1 to %d margin rows, found %zu", path,
                           MAX_MARGIN_ROWS, n);
  }
  m->rows = calloc(n, sizeof *m->rows);
  if (m->rows == NULL) {
    return CLI_EXIT_ENV;
  }
  const segkit_column *cv = segkit_table_column(m->t, (size_t)iv);
  const segkit_column *cc = segkit_table_column(m->t, (size_t)ic);
  const segkit_column *cs = segkit_table_column(m->t, (size_t)is);
  for (size_t i = 0; i < n; i++) {
    const char *v = string_at(cv, i);
    const char *c = string_at(cc, i);
    if (v == NULL || c == NULL || !segkit_column_is_valid(cs, i)) {
      return cli_usage_error("survey", "%s: margin row %zu has an empty variable, category "
                                       "or share", path, i + 1);
    }
    m->rows[i] = (segkit_margin_row){.variable = v, .category = c,
                                     .share = segkit_column_float64(cs)[i]};
    size_t k = 0;
    while (k < m->n_vars && strcmp(m->vars[k], v) != 0) {
      k++;
    }
    if (k == m->n_vars) {
      if (m->n_vars == MAX_VARS) {
        return cli_usage_error("survey", "%s: at most %d raking variables", path, MAX_VARS);
      }
      m->vars[m->n_vars++] = v;
    }
  }
  m->n_rows = n;
  return 0;
}

/* "18-24" -> [18, 24], "65+" -> [65, inf); false when the category is not a range. */
static bool parse_range(const char *s, double *lo, double *hi) {
  char *end = NULL;
  *lo = strtod(s, &end);
  if (end == s || !isfinite(*lo)) {
    return false;
  }
  if (strcmp(end, "+") == 0) {
    *hi = INFINITY;
    return true;
  }
  if (*end != '-') {
    return false;
  }
  const char *rest = end + 1;
  *hi = strtod(rest, &end);
  return end != rest && *end == '\0' && isfinite(*hi) && *hi >= *lo;
}

/* The answers of one variable as text, with numbers mapped to range categories when their
 * own text is not a category. texts[i] points into the table, buf or the margins. */
/* The categories of var in the margins, "a, b, c" (for messages). */
static void categories_of(const margins *m, const char *var, char *out, size_t size) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t r = 0; r < m->n_rows && used + 1 < size; r++) {
    if (strcmp(m->rows[r].variable, var) == 0) {
      int k = snprintf(out + used, size - used, "%s%s", used > 0 ? ", " : "", m->rows[r].category);
      used += k > 0 ? (size_t)k : 0;
    }
  }
}

/* Respondent i named for a user: its id and its row in the data. */
static const char *who(const segkit_table *t, const char *id_col, size_t i, char *buf,
                       size_t size) {
  long ci = segkit_table_column_index(t, id_col);
  char one[64];
  const char *id = ci >= 0 ? survey_answer_text(segkit_table_column(t, (size_t)ci), i, one,
                                                sizeof one)
                           : NULL;
  snprintf(buf, size, "%s %s (row %zu)", id_col, id != NULL ? id : "(none)", i + 1);
  return buf;
}

static int answers_of(const segkit_table *t, const margins *m, const char *var,
                      const char *dataset, const char *id_col, const segkit_codebook *cb,
                      char **texts, char *buf, size_t buf_size) {
  long cvar = cb != NULL ? segkit_codebook_find(cb, var) : -1;
  long ci = segkit_table_column_index(t, var);
  if (ci < 0) {
    return cli_usage_error("survey", "the margins name '%s', which is not a column of the "
                                     "dataset", var);
  }
  const segkit_column *c = segkit_table_column(t, (size_t)ci);
  bool numeric = segkit_column_type(c) == SEGKIT_TYPE_INT64 ||
                 segkit_column_type(c) == SEGKIT_TYPE_FLOAT64;
  size_t n = segkit_table_n_rows(t);
  for (size_t i = 0; i < n; i++) {
    char one[64];
    const char *text = survey_answer_text(c, i, one, sizeof one);
    const char *chosen = text;
    bool exact = false;
    for (size_t r = 0; text != NULL && r < m->n_rows && !exact; r++) {
      exact = strcmp(m->rows[r].variable, var) == 0 && strcmp(m->rows[r].category, text) == 0;
    }
    if (text != NULL && !exact && cvar >= 0 && segkit_column_type(c) == SEGKIT_TYPE_INT64) {
      /* the margins may name a coded answer by its value label ("North America") */
      const char *label = segkit_codebook_label(cb, (size_t)cvar, segkit_column_int64(c)[i]);
      for (size_t r = 0; label != NULL && r < m->n_rows && !exact; r++) {
        exact = strcmp(m->rows[r].variable, var) == 0 && strcmp(m->rows[r].category, label) == 0;
      }
      chosen = exact ? label : text;
    }
    if (text != NULL && !exact && numeric) {
      double v = segkit_column_type(c) == SEGKIT_TYPE_INT64 ? (double)segkit_column_int64(c)[i]
                                                            : segkit_column_float64(c)[i];
      for (size_t r = 0; r < m->n_rows; r++) {
        double lo = 0, hi = 0;
        if (strcmp(m->rows[r].variable, var) == 0 && parse_range(m->rows[r].category, &lo, &hi) &&
            v >= lo && v <= hi) {
          chosen = m->rows[r].category;
          break;
        }
      }
    }
    bool known = false;
    for (size_t r = 0; chosen != NULL && r < m->n_rows && !known; r++) {
      known = strcmp(m->rows[r].variable, var) == 0 && strcmp(m->rows[r].category, chosen) == 0;
    }
    if (!known) {
      char cats[512], name[160];
      categories_of(m, var, cats, sizeof cats);
      who(t, id_col, i, name, sizeof name);
      if (chosen == NULL) {
        fprintf(stderr, "segkit survey: %s: respondent %s has no answer for '%s' (raking needs "
                        "one: impute it, or leave such respondents out)\n", dataset, name, var);
      } else {
        fprintf(stderr, "segkit survey: %s: respondent %s answered '%s' = '%s', which the "
                        "margins do not list (expected one of: %s)\n", dataset, name, var,
                        chosen, cats);
      }
      return CLI_EXIT_DATA;
    }
    if (chosen == one) {
      /* a number's own text: keep a copy, one is reused */
      size_t len = strlen(one) + 1;
      if (len > buf_size) {
        return CLI_EXIT_ENV;
      }
      memcpy(buf, one, len);
      chosen = buf;
      buf += len;
      buf_size -= len;
    }
    texts[i] = (char *)chosen;
  }
  return 0;
}

static int print_report(cli_args *a, const segkit_rake *rk, const segkit_table *t,
                        const char *id_col) {
  const segkit_rake_report *rep = segkit_rake_result(rk);
  const double *w = segkit_rake_weights(rk);
  if (a->format == CLI_FORMAT_CSV) {
    const segkit_column *id = segkit_table_column(t, (size_t)segkit_table_column_index(t, id_col));
    static const char *const headers[] = {"id", "weight"};
    cli_grid *g = cli_grid_new(2, headers);
    for (size_t i = 0; g != NULL && i < rep->n; i++) {
      cli_grid_row(g);
      cli_grid_value(g, id, i);
      cli_grid_real(g, w[i], 10);
    }
    int rc = g != NULL && cli_grid_print(g, CLI_FORMAT_CSV, stdout) ? 0 : CLI_EXIT_ENV;
    cli_grid_free(g);
    return rc;
  }
  if (a->format == CLI_FORMAT_JSON) {
    json_t *vars = json_array();
    for (size_t v = 0; v < segkit_rake_n_vars(rk); v++) {
      const segkit_rake_margin *mg = segkit_rake_margin_at(rk, v);
      json_t *cats = json_array();
      for (uint32_t k = 0; k < mg->n_levels; k++) {
        json_array_append_new(
            cats, json_pack("{s:s, s:f, s:o, s:f, s:I}", "category",
                            mg->level_labels != NULL ? mg->level_labels[k] : "", "target",
                            mg->target[k], "sample", cli_json_number(mg->sample[k]), "achieved",
                            mg->achieved[k], "respondents", (json_int_t)mg->respondents[k]));
      }
      json_array_append_new(vars, json_pack("{s:s, s:o}", "variable", mg->name, "categories", cats));
    }
    json_t *root = json_pack(
        "{s:I, s:b, s:i, s:f, s:i, s:b, s:I, s:{s:f, s:f, s:f, s:f, s:f, s:f}, s:o}",
        "respondents", (json_int_t)rep->n, "converged", rep->converged, "iterations",
        (int)rep->iterations, "margin_error", rep->margin_error, "trim_rounds",
        (int)rep->trim_rounds, "trim_converged", rep->trim_converged, "at_bound",
        (json_int_t)rep->n_at_bound, "weights", "sum", rep->weights.sum, "mean",
        rep->weights.mean, "min", rep->weights.min, "max", rep->weights.max, "deff",
        rep->weights.deff, "n_eff", rep->weights.n_eff, "variables", vars);
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
    return 0;
  }
  printf("raked %zu respondents to %zu variables: %s after %u cycles (largest margin gap "
         "%.2g)\n",
         rep->n, segkit_rake_n_vars(rk), rep->converged ? "converged" : "NOT converged",
         rep->iterations, rep->margin_error);
  if (rep->trim_rounds > 0) {
    printf("trimmed in %u rounds, %zu weights at a bound%s\n", rep->trim_rounds,
           rep->n_at_bound, rep->trim_converged ? "" : " (the bounds could not all be met)");
  }
  printf("weights: mean %.4g, min %.4g, max %.4g; design effect %.3f, effective sample size "
         "%.1f of %zu\n\n",
         rep->weights.mean, rep->weights.min, rep->weights.max, rep->weights.deff,
         rep->weights.n_eff, rep->n);
  static const char *const headers[] = {"variable", "category", "respondents", "sample_pct",
                                        "target_pct", "weighted_pct"};
  cli_grid *g = cli_grid_new(6, headers);
  for (size_t v = 0; g != NULL && v < segkit_rake_n_vars(rk); v++) {
    const segkit_rake_margin *mg = segkit_rake_margin_at(rk, v);
    for (uint32_t k = 0; k < mg->n_levels; k++) {
      cli_grid_row(g);
      cli_grid_text(g, mg->name);
      cli_grid_text(g, mg->level_labels != NULL ? mg->level_labels[k] : "");
      cli_grid_int(g, (int64_t)mg->respondents[k]);
      cli_grid_real(g, 100 * mg->sample[k], 2);
      cli_grid_real(g, 100 * mg->target[k], 2);
      cli_grid_real(g, 100 * mg->achieved[k], 2);
    }
  }
  int rc = g != NULL && cli_grid_print(g, CLI_FORMAT_TABLE, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  return rc;
}

/* The dataset again, with the weights as column `name` (replacing one of that name). */
static int store_weights(cli_args *a, segkit_workspace *ws, const char *dataset,
                         const segkit_table *t, const double *w, const char *name,
                         const char *id_col) {
  size_t nc = segkit_table_n_cols(t);
  segkit_column_arrays *cols = calloc(nc + 1, sizeof *cols);
  if (cols == NULL) {
    return CLI_EXIT_ENV;
  }
  size_t k = 0;
  for (size_t i = 0; i < nc; i++) {
    const segkit_column *c = segkit_table_column(t, i);
    if (strcmp(segkit_column_name(c), name) != 0) {
      cols[k++] = segkit_column_as_arrays(c);
    }
  }
  cols[k++] = (segkit_column_arrays){.name = name, .type = SEGKIT_TYPE_FLOAT64, .data = w};
  segkit_table *out = NULL;
  segkit_error err;
  int rc = 0;
  if (segkit_table_from_arrays(segkit_table_n_rows(t), k, cols, &out, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_import_request req = {.dataset = dataset, .mode = SEGKIT_IMPORT_REPLACE,
                               .key = id_col, .table = out,
                               .source = "segkit survey weight", .actor = "cli:survey"};
  segkit_import_outcome oc;
  if (rc == 0 && segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0 && !a->quiet && a->format == CLI_FORMAT_TABLE) {
    printf("\nstored as column '%s' of dataset %s (use --weighted in crosstab and size)\n", name,
           dataset);
  }
  segkit_table_free(out);
  free(cols);
  return rc;
}

static bool parse_pair(const char *s, double *x, double *y) {
  char *end = NULL;
  *x = strtod(s, &end);
  if (end == s || *end != ',') {
    return false;
  }
  const char *rest = end + 1;
  *y = strtod(rest, &end);
  return end != rest && *end == '\0';
}

int survey_weight(cli_args *a) {
  if (a->n_positional != 2 || cli_get(a, "margins") == NULL) {
    return cli_usage_error("survey", "expected: survey weight NAME --margins FILE");
  }
  const char *dataset = a->positional[1];
  segkit_rake_options ro;
  memset(&ro, 0, sizeof ro);
  if (cli_get(a, "trim") != NULL &&
      (!parse_pair(cli_get(a, "trim"), &ro.trim_lower, &ro.trim_upper) ||
       !(ro.trim_lower >= 0 && ro.trim_lower < 1 && ro.trim_upper > 1))) {
    return cli_usage_error("survey", "--trim needs LOWER,UPPER relative to the mean weight, "
                                     "0 <= LOWER < 1 < UPPER (e.g. 0.3,3)");
  }
  if (cli_get(a, "population") != NULL) {
    char *end = NULL;
    ro.population_total = strtod(cli_get(a, "population"), &end);
    if (end == cli_get(a, "population") || *end != '\0' || !(ro.population_total > 0) ||
        isinf(ro.population_total)) {
      return cli_usage_error("survey", "--population must be a number > 0");
    }
  }
  int64_t iters = 100;
  if (!cli_get_int(a, "max-iter", 1, 100000, &iters)) {
    return CLI_EXIT_USAGE;
  }
  ro.max_iter = (uint32_t)iters;
  margins m;
  int rc = read_margins(cli_get(a, "margins"), &m);
  segkit_workspace *ws = NULL;
  segkit_table *t = NULL;
  segkit_error err;
  if (rc == 0) {
    rc = cli_open_workspace(a, false, &ws);
  }
  if (rc == 0 && segkit_workspace_load(ws, dataset, &t, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  const char *id_col = cli_get(a, "id");
  if (rc == 0 && id_col == NULL) {
    id_col = segkit_table_n_cols(t) > 0 ? segkit_column_name(segkit_table_column(t, 0)) : "";
  }
  if (rc == 0 && segkit_table_column_index(t, id_col) < 0) {
    rc = cli_usage_error("survey", "no id column '%s' in %s", id_col, dataset);
  }
  const char *wname = cli_get(a, "weight-col") != NULL ? cli_get(a, "weight-col") : "weight";
  double *base = NULL;
  if (rc == 0 && cli_get(a, "base-weight") != NULL) {
    long ci = segkit_table_column_index(t, cli_get(a, "base-weight"));
    if (ci < 0) {
      rc = cli_usage_error("survey", "no base weight column '%s'", cli_get(a, "base-weight"));
    } else {
      const segkit_column *c = segkit_table_column(t, (size_t)ci);
      size_t n = segkit_table_n_rows(t);
      base = malloc((n > 0 ? n : 1) * sizeof *base);
      for (size_t i = 0; base != NULL && rc == 0 && i < n; i++) {
        bool ok = segkit_column_is_valid(c, i);
        base[i] = !ok ? NAN
                  : segkit_column_type(c) == SEGKIT_TYPE_INT64 ? (double)segkit_column_int64(c)[i]
                  : segkit_column_type(c) == SEGKIT_TYPE_FLOAT64 ? segkit_column_float64(c)[i]
                                                                : NAN;
      }
      rc = base == NULL ? CLI_EXIT_ENV : 0;
    }
  }
  size_t n = rc == 0 ? segkit_table_n_rows(t) : 0;
  segkit_codebook *cb = rc == 0 ? survey_codebook_load(a, dataset) : NULL;
  char ***answers = rc == 0 ? calloc(m.n_vars + 1, sizeof *answers) : NULL;
  char **bufs = rc == 0 ? calloc(m.n_vars + 1, sizeof *bufs) : NULL;
  if (rc == 0 && (answers == NULL || bufs == NULL)) {
    rc = CLI_EXIT_ENV;
  }
  size_t buf_size = 32 * (n + 1);
  for (size_t v = 0; rc == 0 && v < m.n_vars; v++) {
    answers[v] = malloc((n + 1) * sizeof *answers[v]);
    bufs[v] = malloc(buf_size);
    rc = answers[v] == NULL || bufs[v] == NULL ? CLI_EXIT_ENV
                                               : answers_of(t, &m, m.vars[v], dataset, id_col,
                                                            cb, answers[v], bufs[v], buf_size);
  }
  segkit_rake_spec *spec = NULL;
  if (rc == 0 && segkit_rake_spec_new(m.rows, m.n_rows, m.vars, m.n_vars, n,
                                      (const char *const *const *)answers, &spec,
                                      &err) != SEGKIT_OK) {
    if (err.field[0] != '\0' && strstr(err.message, "respondent") != NULL) {
      fprintf(stderr, "segkit survey: %s: %s (respondents count from 0 in data order; the "
                      "margins file lists the categories)\n", dataset, err.message);
      rc = CLI_EXIT_DATA;
    } else {
      rc = cli_report(&err);
    }
  }
  segkit_rake *rk = NULL;
  if (rc == 0 && segkit_rake_new(n, base, segkit_rake_spec_vars(spec),
                                 segkit_rake_spec_n_vars(spec), &ro, &rk, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    rc = print_report(a, rk, t, id_col);
  }
  if (rc == 0) {
    rc = store_weights(a, ws, dataset, t, segkit_rake_weights(rk), wname, id_col);
  }
  if (rc == 0 && !segkit_rake_result(rk)->converged) {
    fprintf(stderr, "segkit survey: raking did not converge: the margins may contradict each "
                    "other (see the weighted_pct column); the weights were stored anyway\n");
  }
  segkit_rake_free(rk);
  segkit_rake_spec_free(spec);
  segkit_codebook_free(cb);
  for (size_t v = 0; answers != NULL && v < m.n_vars; v++) {
    free(answers[v]);
    free(bufs[v]);
  }
  free(answers);
  free(bufs);
  free(base);
  segkit_table_free(t);
  segkit_workspace_close(ws);
  margins_free(&m);
  return rc;
}
