/* segkit survey typing / type: the golden questions that classify respondents into
 * segments, and typing new respondents (or customers) with them.
 *
 * typing selects up to --max-questions questions by cross-validated forward selection
 * with linear discriminant analysis (the survey module's typing tool), reports the
 * accuracy path, the held-out accuracy and confusion matrix, and with --save keeps the
 * model (kind "typing") with the segment names. type classifies the rows of a dataset or
 * file that answered the golden questions and can store the result as a dataset, which is
 * how customers who answered them are placed in the market's segments.
 *
 * Key design choice: candidates are ordered answers only (scales and numbers): LDA reads
 * a code as a quantity, which is right for a 1-5 scale and meaningless for region 3;
 * nominal questions are left out unless named (and then read as numbers, said in the
 * output). Respondents missing an answer to a candidate are left out and counted. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/metrics.h"
#include "segkit/survey.h"
#include "survey_cli.h"

enum { MAX_CANDIDATES = SEGKIT_TYPING_MAX_QUESTIONS * 4, DOC_VERSION = 1 };

static bool ordered_question(const segkit_table *t, size_t c, const segkit_codebook *cb,
                             const char *id, const char *by) {
  const segkit_column *col = segkit_table_column(t, c);
  const char *name = segkit_column_name(col);
  if (strcmp(name, id) == 0 || strcmp(name, by) == 0) {
    return false;
  }
  segkit_type ty = segkit_column_type(col);
  if (ty != SEGKIT_TYPE_INT64 && ty != SEGKIT_TYPE_FLOAT64) {
    return false;
  }
  if (cb == NULL) {
    return true;
  }
  long v = segkit_codebook_find(cb, name);
  return v >= 0 && (segkit_codebook_type(cb, (size_t)v) == SEGKIT_SURVEY_LIKERT ||
                    segkit_codebook_type(cb, (size_t)v) == SEGKIT_SURVEY_NUMERIC);
}

static int print_typing(cli_args *a, const segkit_typing *tm, const survey_question *seg,
                        size_t left_out) {
  const segkit_typing_view *v = segkit_typing_get(tm);
  if (a->format == CLI_FORMAT_JSON) {
    json_t *path = json_array();
    for (uint32_t k = 0; k < v->n_chosen; k++) {
      json_array_append_new(path, json_pack("{s:s, s:f}", "question", v->chosen_names[k],
                                            "cv_accuracy", v->cv_accuracy[k]));
    }
    json_t *conf = json_array();
    json_t *recall = json_object();
    for (uint32_t r = 0; r < v->n_segments; r++) {
      json_t *row = json_array();
      for (uint32_t c = 0; c < v->n_segments; c++) {
        json_array_append_new(row, json_integer((json_int_t)v->confusion[r * v->n_segments + c]));
      }
      json_array_append_new(conf, row);
      json_object_set_new(recall, seg->labels[r], cli_json_number(v->recall[r]));
    }
    json_t *labels = json_array();
    for (uint32_t s = 0; s < seg->n_levels; s++) {
      json_array_append_new(labels, json_string(seg->labels[s]));
    }
    json_t *root =
        json_pack("{s:o, s:I, s:I, s:I, s:I, s:i, s:o, s:o, s:o, s:o}", "questions", path,
                  "respondents", (json_int_t)v->n, "left_out", (json_int_t)left_out, "train",
                  (json_int_t)v->n_train, "holdout", (json_int_t)v->n_holdout, "folds",
                  (int)v->folds, "holdout_accuracy", cli_json_number(v->holdout_accuracy),
                  "segments", labels, "confusion", conf, "recall", recall);
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
    return 0;
  }
  printf("golden questions, in the order chosen (%u-fold cross-validated accuracy on %zu "
         "respondents, the first %zu in data order):\n",
         v->folds, v->n_train, v->n_train);
  for (uint32_t k = 0; k < v->n_chosen; k++) {
    printf("  %u. %-24s %.1f%%\n", k + 1, v->chosen_names[k], 100 * v->cv_accuracy[k]);
  }
  if (v->n_holdout > 0) {
    printf("held out (the last %zu respondents, never used to choose): %.1f%% typed "
           "correctly\n\n",
           v->n_holdout, 100 * v->holdout_accuracy);
    const char **headers = calloc(v->n_segments + 2, sizeof *headers);
    if (headers == NULL) {
      return CLI_EXIT_ENV;
    }
    headers[0] = "true \\ typed";
    for (uint32_t s = 0; s < v->n_segments; s++) {
      headers[s + 1] = seg->labels[s];
    }
    headers[v->n_segments + 1] = "recall_pct";
    cli_grid *g = cli_grid_new(v->n_segments + 2, headers);
    for (uint32_t r = 0; g != NULL && r < v->n_segments; r++) {
      cli_grid_row(g);
      cli_grid_text(g, seg->labels[r]);
      for (uint32_t c = 0; c < v->n_segments; c++) {
        cli_grid_int(g, (int64_t)v->confusion[r * v->n_segments + c]);
      }
      if (isfinite(v->recall[r])) {
        cli_grid_real(g, 100 * v->recall[r], 1);
      } else {
        cli_grid_null(g);
      }
    }
    int rc = g != NULL && cli_grid_print(g, CLI_FORMAT_TABLE, stdout) ? 0 : CLI_EXIT_ENV;
    cli_grid_free(g);
    free(headers);
    if (rc != 0) {
      return rc;
    }
  }
  if (left_out > 0) {
    printf("left out: %zu respondents without a segment or an answer to every candidate\n",
           left_out);
  }
  return 0;
}

/* The market the segments were found in: each segment's (weighted) share of the survey's
 * respondents with its logit interval, kept with the model for survey bridge. */
static json_t *market_json(const survey_question *seg, const double *w, segkit_error *err) {
  segkit_shares *sh = NULL;
  segkit_shares_input in = {.n = seg->n, .codes = seg->codes, .n_levels = seg->n_levels,
                            .weights = w, .level = 0.95};
  if (segkit_shares_new(&in, &sh, err) != SEGKIT_OK) {
    return NULL;
  }
  json_t *shares = json_array();
  for (uint32_t k = 0; k < seg->n_levels; k++) {
    const segkit_share *s = segkit_shares_at(sh, k);
    json_array_append_new(shares,
                          json_pack("{s:f, s:o, s:o, s:I}", "share", s->share, "lower",
                                    cli_json_number(s->lower), "upper", cli_json_number(s->upper),
                                    "respondents", (json_int_t)s->base_unweighted));
  }
  json_t *o = json_pack("{s:I, s:b, s:f, s:o}", "respondents",
                        (json_int_t)segkit_shares_n_used(sh), "weighted", w != NULL, "level",
                        0.95, "shares", shares);
  segkit_shares_free(sh);
  return o;
}

static int save_typing(cli_args *a, const char *name, const char *dataset,
                       const segkit_typing *tm, const survey_question *seg, const double *w) {
  char *model = NULL;
  segkit_error err;
  if (segkit_typing_to_json(tm, &model, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  json_error_t je;
  json_t *labels = json_array();
  for (uint32_t s = 0; s < seg->n_levels; s++) {
    json_array_append_new(labels, json_string(seg->labels[s]));
  }
  json_t *market = market_json(seg, w, &err);
  if (market == NULL) {
    free(model);
    json_decref(labels);
    return cli_report(&err);
  }
  json_t *doc = json_pack("{s:s, s:i, s:s, s:o, s:o, s:o}", "format", "segkit-typing", "version",
                          DOC_VERSION, "segment", seg->name, "segments", labels, "market",
                          market, "model", json_loads(model, 0, &je));
  free(model);
  char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
  json_decref(doc);
  segkit_workspace *ws = NULL;
  int rc = text == NULL ? CLI_EXIT_ENV : cli_open_workspace(a, true, &ws);
  if (rc == 0 &&
      segkit_workspace_model_save(ws, name, "typing", dataset, text, true, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0 && a->format == CLI_FORMAT_TABLE && !a->quiet) {
    printf("saved as typing model '%s' (segkit survey type %s --dataset NAME)\n", name, name);
  }
  segkit_workspace_close(ws);
  free(text);
  return rc;
}

int survey_typing(cli_args *a) {
  segkit_typing_options o;
  memset(&o, 0, sizeof o);
  int64_t maxq = 8, folds = 5;
  if (!cli_get_int(a, "max-questions", 1, SEGKIT_TYPING_MAX_QUESTIONS, &maxq) ||
      !cli_get_int(a, "folds", 2, 100, &folds)) {
    return CLI_EXIT_USAGE;
  }
  o.max_questions = (uint32_t)maxq;
  o.folds = (uint32_t)folds;
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
  const char *dataset = src.dataset[0] != '\0' ? src.dataset : NULL;
  double *w = NULL;
  if (rc == 0) {
    rc = survey_weights_from_args(a, t, "survey", &w);
  }
  /* the candidate questions */
  size_t cand[MAX_CANDIDATES];
  size_t nc = 0;
  char qbuf[8192];
  if (rc == 0 && cli_get(a, "questions") != NULL) {
    const char *names[MAX_CANDIDATES];
    size_t nn = 0;
    snprintf(qbuf, sizeof qbuf, "%s", cli_get(a, "questions"));
    if (strlen(cli_get(a, "questions")) >= sizeof qbuf ||
        !cli_split_list(qbuf, names, MAX_CANDIDATES, &nn)) {
      rc = cli_usage_error("survey", "--questions needs a comma-separated list of columns");
    }
    for (size_t k = 0; rc == 0 && k < nn; k++) {
      long ci = segkit_table_column_index(t, names[k]);
      segkit_type ty = ci >= 0 ? segkit_column_type(segkit_table_column(t, (size_t)ci))
                               : SEGKIT_TYPE_STRING;
      if (ci < 0 || (ty != SEGKIT_TYPE_INT64 && ty != SEGKIT_TYPE_FLOAT64 && ty != SEGKIT_TYPE_BOOL)) {
        rc = cli_usage_error("survey", "--questions: '%s' is not a numeric column", names[k]);
      } else {
        cand[nc++] = (size_t)ci;
      }
    }
  } else if (rc == 0) {
    for (size_t c = 0; c < segkit_table_n_cols(t) && nc < MAX_CANDIDATES; c++) {
      if (ordered_question(t, c, cb, id, by)) {
        cand[nc++] = c;
      }
    }
    if (nc == 0) {
      rc = cli_usage_error("survey", "no scale or numeric questions to choose from: name them "
                                     "with --questions");
    }
  }
  /* respondents with a segment and every candidate answered */
  size_t n = rc == 0 ? segkit_table_n_rows(t) : 0;
  double *x = rc == 0 ? malloc((n * nc + 1) * sizeof *x) : NULL;
  int32_t *y = rc == 0 ? malloc((n + 1) * sizeof *y) : NULL;
  const char *qnames[MAX_CANDIDATES];
  size_t m = 0;
  if (rc == 0 && (x == NULL || y == NULL)) {
    rc = CLI_EXIT_ENV;
  }
  for (size_t k = 0; rc == 0 && k < nc; k++) {
    qnames[k] = segkit_column_name(segkit_table_column(t, cand[k]));
  }
  for (size_t i = 0; rc == 0 && i < n; i++) {
    bool ok = seg.codes[i] >= 0;
    for (size_t k = 0; ok && k < nc; k++) {
      x[m * nc + k] = survey_value_at(segkit_table_column(t, cand[k]), i);
      ok = isfinite(x[m * nc + k]);
    }
    if (ok) {
      y[m++] = seg.codes[i];
    }
  }
  segkit_typing *tm = NULL;
  segkit_error err;
  if (rc == 0) {
    segkit_typing_input in = {.n = m, .n_questions = (uint32_t)nc, .answers = x,
                              .question_names = qnames, .segments = y,
                              .n_segments = seg.n_levels};
    if (segkit_typing_new(&in, &o, &tm, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  if (rc == 0) {
    rc = print_typing(a, tm, &seg, n - m);
  }
  if (rc == 0 && cli_get(a, "save") != NULL) {
    rc = save_typing(a, cli_get(a, "save"), dataset, tm, &seg, w);
  }
  segkit_typing_free(tm);
  free(w);
  free(x);
  free(y);
  survey_question_free(&seg);
  segkit_codebook_free(cb);
  segkit_table_free(t);
  return rc;
}

/* ---- type: classify with a saved model ------------------------------------------------ */

/* The typed rows as a dataset: the first column of t (the id) and the segment's name. */
static int survey_store_typed(segkit_workspace *ws, const char *name, const segkit_table *t,
                              const int32_t *seg, const json_t *labels, const char *seg_col) {
  size_t n = segkit_table_n_rows(t);
  size_t k = json_array_size(labels);
  uint64_t *off = malloc((k + 1) * sizeof *off);
  size_t bytes = 1;
  for (size_t i = 0; i < k; i++) {
    bytes += strlen(json_string_value(json_array_get(labels, i))) + 1;
  }
  char *dict = malloc(bytes);
  uint64_t *valid = calloc((n + 63) / 64 + 1, sizeof *valid);
  uint32_t *codes = calloc(n + 1, sizeof *codes);
  int rc = off == NULL || dict == NULL || valid == NULL || codes == NULL ? CLI_EXIT_ENV : 0;
  if (rc == 0) {
    off[0] = 0;
    for (size_t i = 0; i < k; i++) {
      const char *l = json_string_value(json_array_get(labels, i));
      size_t len = strlen(l) + 1;
      memcpy(dict + off[i], l, len);
      off[i + 1] = off[i] + len;
    }
    for (size_t i = 0; i < n; i++) {
      if (seg[i] >= 0 && (size_t)seg[i] < k) {
        codes[i] = (uint32_t)seg[i];
        valid[i / 64] |= UINT64_C(1) << (i % 64);
      }
    }
  }
  segkit_column_arrays cols[2];
  if (rc == 0) {
    cols[0] = segkit_column_as_arrays(segkit_table_column(t, 0));
    cols[1] = (segkit_column_arrays){.name = seg_col != NULL ? seg_col : "segment",
                                     .type = SEGKIT_TYPE_STRING, .data = codes,
                                     .validity = valid, .dict_size = (uint32_t)k,
                                     .dict_offsets = off, .dict_bytes = dict};
  }
  segkit_table *out = NULL;
  segkit_error err;
  if (rc == 0 && segkit_table_from_arrays(n, 2, cols, &out, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_import_request req = {.dataset = name, .mode = SEGKIT_IMPORT_REPLACE, .table = out,
                               .source = "segkit survey type", .actor = "cli:survey"};
  segkit_import_outcome oc;
  if (rc == 0 && segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_table_free(out);
  free(off);
  free(dict);
  free(valid);
  free(codes);
  return rc;
}

/* A saved typing model: its document (owned by *doc) and the model. 0 or an exit code. */
static int load_typing(segkit_workspace *ws, const char *name, json_t **doc,
                       segkit_typing **tm) {
  segkit_model_list *l = NULL;
  segkit_error err;
  if (segkit_workspace_models(ws, "typing", name, &l, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  json_error_t je;
  *doc = json_loads(l->items[0].document, 0, &je);
  segkit_model_list_free(l);
  if (*doc == NULL || json_integer_value(json_object_get(*doc, "version")) != DOC_VERSION) {
    fprintf(stderr, "segkit survey: typing model '%s' is in a format this segkit does not read\n",
            name);
    return CLI_EXIT_DATA;
  }
  char *model = json_dumps(json_object_get(*doc, "model"), JSON_COMPACT);
  int rc = 0;
  if (model == NULL || segkit_typing_from_json(model, tm, &err) != SEGKIT_OK) {
    rc = model == NULL ? CLI_EXIT_ENV : cli_report(&err);
  }
  free(model);
  return rc;
}

/* Type every row of t that answered the golden questions: seg[i] (-1 when a golden
 * answer is missing) and the posterior of the chosen segment. */
static int type_rows(const char *name, const segkit_typing *tm, const segkit_table *t,
                     int32_t *seg, double *prob, size_t *untyped);

/* type_rows into new arrays (*seg, *prob: the caller frees them, also on failure). */
static int typed(const char *name, const segkit_typing *tm, const segkit_table *t,
                 int32_t **seg, double **prob, size_t *untyped) {
  size_t n = segkit_table_n_rows(t);
  *seg = malloc((n + 1) * sizeof **seg);
  *prob = malloc((n + 1) * sizeof **prob);
  if (*seg == NULL || *prob == NULL) {
    return CLI_EXIT_ENV;
  }
  return type_rows(name, tm, t, *seg, *prob, untyped);
}

static int type_rows(const char *name, const segkit_typing *tm, const segkit_table *t,
                     int32_t *seg, double *prob, size_t *untyped) {
  const segkit_typing_view *v = segkit_typing_get(tm);
  long cols[SEGKIT_TYPING_MAX_QUESTIONS];
  for (uint32_t k = 0; k < v->n_chosen; k++) {
    cols[k] = segkit_table_column_index(t, v->chosen_names[k]);
    if (cols[k] < 0) {
      return cli_usage_error("survey", "the data has no column '%s', a golden question of '%s'",
                             v->chosen_names[k], name);
    }
  }
  double row[SEGKIT_TYPING_MAX_QUESTIONS];
  double *post = malloc(((size_t)v->n_segments + 1) * sizeof *post);
  if (post == NULL) {
    return CLI_EXIT_ENV;
  }
  size_t n = segkit_table_n_rows(t);
  *untyped = 0;
  segkit_error err;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    bool ok = true;
    for (uint32_t k = 0; ok && k < v->n_chosen; k++) {
      row[k] = survey_value_at(segkit_table_column(t, (size_t)cols[k]), i);
      ok = isfinite(row[k]);
    }
    seg[i] = -1;
    prob[i] = NAN;
    if (!ok) {
      (*untyped)++;
    } else if (segkit_typing_classify(tm, 1, row, &seg[i], post, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    } else {
      prob[i] = post[seg[i]];
    }
  }
  free(post);
  return rc;
}

int survey_type(cli_args *a) {
  if (a->n_positional < 2) {
    return cli_usage_error("survey", "expected: survey type MODEL (--dataset NAME | FILE) [--as "
                                     "NAME]");
  }
  const char *name = a->positional[1];
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  json_t *doc = NULL;
  segkit_typing *tm = NULL;
  if (rc == 0) {
    rc = load_typing(ws, name, &doc, &tm);
  }
  const char *dataset = cli_get(a, "dataset");
  segkit_table *t = NULL;
  if (rc == 0 && (dataset == NULL) == (a->n_positional != 3)) {
    rc = cli_usage_error("survey", "give --dataset NAME or one FILE to type");
  }
  if (rc == 0) {
    rc = cli_load_named(a, "survey", dataset, dataset == NULL ? a->positional[2] : NULL, &t);
  }
  size_t n = rc == 0 ? segkit_table_n_rows(t) : 0;
  int32_t *seg = NULL;
  double *prob = NULL;
  size_t untyped = 0;
  if (rc == 0) {
    rc = typed(name, tm, t, &seg, &prob, &untyped);
  }
  const json_t *labels = json_object_get(doc, "segments");
  const char *seg_col = json_string_value(json_object_get(doc, "segment"));
  const char *headers[] = {rc == 0 && segkit_table_n_cols(t) > 0
                               ? segkit_column_name(segkit_table_column(t, 0))
                               : "id",
                           seg_col != NULL ? seg_col : "segment", "probability"};
  cli_grid *g = rc == 0 ? cli_grid_new(3, headers) : NULL;
  for (size_t i = 0; g != NULL && i < n; i++) {
    cli_grid_row(g);
    cli_grid_value(g, segkit_table_column(t, 0), i);
    if (seg[i] < 0) {
      cli_grid_null(g);
      cli_grid_null(g);
      continue;
    }
    const char *label = json_string_value(json_array_get(labels, (size_t)seg[i]));
    cli_grid_text(g, label != NULL ? label : "?");
    cli_grid_real(g, prob[i], 4);
  }
  if (rc == 0) {
    rc = cli_get(a, "out") != NULL ? cli_grid_write_file(g, a->format, cli_get(a, "out"))
         : cli_get(a, "as") == NULL ? (cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV)
                                    : 0;
  }
  if (rc == 0 && cli_get(a, "as") != NULL) {
    rc = survey_store_typed(ws, cli_get(a, "as"), t, seg, labels, seg_col);
  }
  if (rc == 0 && !a->quiet) {
    fprintf(stderr, "typed %zu of %zu rows with '%s' (%u golden questions)%s\n", n - untyped, n,
            name, segkit_typing_get(tm)->n_chosen,
            untyped > 0 ? "; the others miss an answer to a golden question" : "");
  }
  cli_grid_free(g);
  free(seg);
  free(prob);
  segkit_typing_free(tm);
  json_decref(doc);
  segkit_table_free(t);
  segkit_workspace_close(ws);
  return rc;
}


static void ratio_interval(cli_grid *g, double num, double lo_den, double hi_den) {
  char cell[64];
  if (lo_den > 0 && hi_den > 0) {
    snprintf(cell, sizeof cell, "%.2f - %.2f", 100 * num / hi_den, 100 * num / lo_den);
    cli_grid_text(g, cell);
  } else {
    cli_grid_null(g);
  }
}

/* ---- bridge: what our customers in each segment are worth --------------------------------- */

typedef struct economics {
  bool on;
  size_t active[64], churned[64];
  double mrr[64], months[64];
  int32_t as_of;
} economics;

typedef struct id_state {
  int64_t id;
  bool active, paid;
  double mrr, months;
  bool churned;
} id_state;

static int cmp_id_state(const void *a, const void *b) {
  int64_t x = ((const id_state *)a)->id;
  int64_t y = ((const id_state *)b)->id;
  return (x > y) - (x < y);
}

/* Each typed customer's state on the last day of the subscription history (--as-of): MRR,
 * active, churned, and the months it has paid (to the day it left, or to as-of), summed per
 * segment: monthly churn = churned / months paid, ARPU = MRR / active, LTV = ARPU / churn
 * (the definitions of docs/metrics.md). */
static int economics_of(cli_args *a, segkit_workspace *ws, const segkit_table *customers,
                        const int32_t *seg, size_t k, economics *e) {
  memset(e, 0, sizeof *e);
  const char *subs = cli_get(a, "subscriptions");
  if (subs == NULL) {
    return 0;
  }
  if (k > 64) {
    return cli_usage_error("survey", "--subscriptions: at most 64 segments");
  }
  e->on = true;
  segkit_table *t = NULL;
  segkit_error err;
  if (segkit_workspace_load(ws, subs, &t, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  segkit_mrr_options o;
  segkit_mrr_options_init(&o);
  segkit_mrr_rate rates[CLI_MAX_RATES];
  char rate_names[CLI_MAX_RATES][16];
  int rc = 0;
  if (cli_get(a, "rates") != NULL) {
    size_t nr = 0;
    if (!cli_parse_rates(cli_get(a, "rates"), rates, rate_names, &nr)) {
      rc = cli_usage_error("survey", "--rates needs CUR=RATE,... (e.g. USD=1,EUR=1.08)");
    }
    o.rates = rates;
    o.n_rates = nr;
  }
  e->as_of = INT32_MIN;
  if (rc == 0 && cli_get(a, "as-of") != NULL &&
      !segkit_parse_date(cli_get(a, "as-of"), strlen(cli_get(a, "as-of")), &e->as_of)) {
    rc = cli_usage_error("survey", "--as-of must be a date YYYY-MM-DD");
  }
  int32_t last_start = INT32_MIN, last_end = INT32_MIN;
  if (rc == 0 && e->as_of == INT32_MIN) {
    /* the last day the history speaks of */
    cli_day_bound(t, o.columns.start, true, &last_start);
    if (o.columns.end != NULL) {
      cli_day_bound(t, o.columns.end, true, &last_end);
    }
    e->as_of = last_end > last_start ? last_end : last_start;
  }
  segkit_table *st = NULL;
  if (rc == 0 && segkit_mrr_customer_state(t, &o, e->as_of, &st, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  size_t n = rc == 0 ? segkit_table_n_rows(st) : 0;
  id_state *idx = rc == 0 ? malloc((n + 1) * sizeof *idx) : NULL;
  if (rc == 0 && idx == NULL) {
    rc = CLI_EXIT_ENV;
  }
  if (rc == 0 && (segkit_column_int64(segkit_table_column(st, 0)) == NULL ||
                  segkit_column_int64(segkit_table_column(customers, 0)) == NULL)) {
    rc = cli_usage_error("survey", "--subscriptions: customers are matched by integer ids");
  }
  if (rc == 0) {
    const segkit_column *mrr = segkit_table_column(st, (size_t)segkit_table_column_index(st, "mrr"));
    const segkit_column *first = segkit_table_column(st, (size_t)segkit_table_column_index(st, "first_paid"));
    const segkit_column *left = segkit_table_column(st, (size_t)segkit_table_column_index(st, "churned_on"));
    for (size_t i = 0; i < n; i++) {
      id_state *s = &idx[i];
      s->id = segkit_column_int64(segkit_table_column(st, 0))[i];
      s->mrr = segkit_column_is_valid(mrr, i) ? segkit_column_float64(mrr)[i] : 0;
      s->active = s->mrr > 0;
      s->churned = segkit_column_is_valid(left, i);
      s->paid = segkit_column_is_valid(first, i) || s->churned;
      int32_t from = segkit_column_is_valid(first, i) ? segkit_column_date(first)[i] : e->as_of;
      int32_t to = s->churned ? segkit_column_date(left)[i] : e->as_of;
      s->months = to > from ? (double)(to - from) / 30.4375 : 0;
    }
    qsort(idx, n, sizeof *idx, cmp_id_state);
  }
  const int64_t *ids = rc == 0 ? segkit_column_int64(segkit_table_column(customers, 0)) : NULL;
  for (size_t i = 0; rc == 0 && i < segkit_table_n_rows(customers); i++) {
    if (seg[i] < 0 || (size_t)seg[i] >= k || !segkit_column_is_valid(segkit_table_column(customers, 0), i)) {
      continue;
    }
    id_state probe = {.id = ids[i]};
    const id_state *s = bsearch(&probe, idx, n, sizeof *idx, cmp_id_state);
    if (s == NULL || !s->paid) {
      continue;
    }
    e->active[seg[i]] += s->active;
    e->churned[seg[i]] += s->churned;
    e->mrr[seg[i]] += s->mrr;
    e->months[seg[i]] += s->months;
  }
  free(idx);
  segkit_table_free(st);
  segkit_table_free(t);
  return rc;
}

/* Our customers typed into a typing model's segments: the model's document, the counts
 * per segment and (with --subscriptions) their economics. */
typedef struct customer_mix {
  json_t *doc;
  segkit_typing *tm;
  segkit_table *t;
  int32_t *seg;
  double *prob;
  size_t n, untyped, k;
  size_t *count;
  economics e;
} customer_mix;

static void mix_free(customer_mix *x) {
  json_decref(x->doc);
  segkit_typing_free(x->tm);
  segkit_table_free(x->t);
  free(x->seg);
  free(x->prob);
  free(x->count);
}

static int mix_open(cli_args *a, segkit_workspace *ws, const char *model, const char *customers,
                    customer_mix *x) {
  memset(x, 0, sizeof *x);
  int rc = load_typing(ws, model, &x->doc, &x->tm);
  if (rc == 0 && !json_is_array(json_object_get(json_object_get(x->doc, "market"), "shares"))) {
    fprintf(stderr, "segkit survey: typing model '%s' was saved without its market shares: "
                    "save it again with survey typing --save\n", model);
    rc = CLI_EXIT_DATA;
  }
  segkit_error err;
  if (rc == 0 && segkit_workspace_load(ws, customers, &x->t, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    x->n = segkit_table_n_rows(x->t);
    rc = typed(model, x->tm, x->t, &x->seg, &x->prob, &x->untyped);
  }
  x->k = json_array_size(json_object_get(x->doc, "segments"));
  if (rc == 0) {
    x->count = calloc(x->k + 1, sizeof *x->count);
    rc = x->count == NULL ? CLI_EXIT_ENV : 0;
  }
  for (size_t i = 0; rc == 0 && i < x->n; i++) {
    if (x->seg[i] >= 0 && (size_t)x->seg[i] < x->k) {
      x->count[x->seg[i]]++;
    }
  }
  if (rc == 0) {
    rc = economics_of(a, ws, x->t, x->seg, x->k, &x->e);
  }
  return rc;
}

int survey_bridge(cli_args *a) {
  const char *customers = cli_get(a, "customers");
  if (a->n_positional != 2 || customers == NULL) {
    return cli_usage_error("survey", "expected: survey bridge MODEL --customers NAME "
                                     "[--population N]");
  }
  double population = 0;
  if (cli_get(a, "population") != NULL) {
    char *end = NULL;
    population = strtod(cli_get(a, "population"), &end);
    if (end == cli_get(a, "population") || *end != '\0' || !(population > 0) ||
        isinf(population)) {
      return cli_usage_error("survey", "--population must be a number > 0");
    }
  }
  const char *name = a->positional[1];
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  customer_mix x;
  memset(&x, 0, sizeof x);
  if (rc == 0) {
    rc = mix_open(a, ws, name, customers, &x);
  }
  const json_t *market = json_object_get(x.doc, "market");
  const json_t *labels = json_object_get(x.doc, "segments");
  size_t k = x.k, n = x.n, untyped = x.untyped;
  const size_t *count = x.count;
  size_t typed = n - untyped;
  const economics e = x.e;
  if (rc == 0 && a->format == CLI_FORMAT_JSON) {
    json_t *rows = json_array();
    for (size_t s = 0; s < k; s++) {
      const json_t *m = json_array_get(json_object_get(market, "shares"), s);
      double share = json_number_value(json_object_get(m, "share"));
      double lo = json_number_value(json_object_get(m, "lower"));
      double hi = json_number_value(json_object_get(m, "upper"));
      double ours = typed > 0 ? (double)count[s] / (double)typed : NAN;
      json_t *o = json_pack("{s:s, s:f, s:f, s:f, s:I, s:o, s:o}", "segment",
                            json_string_value(json_array_get(labels, s)), "market_share", share,
                            "market_lower", lo, "market_upper", hi, "customers",
                            (json_int_t)count[s], "customer_share", cli_json_number(ours), "index",
                            cli_json_number(share > 0 ? 100 * ours / share : NAN));
      if (population > 0) {
        json_object_set_new(o, "market_size", json_real(share * population));
        json_object_set_new(o, "market_size_lower", json_real(lo * population));
        json_object_set_new(o, "market_size_upper", json_real(hi * population));
        json_object_set_new(
            o, "penetration",
            cli_json_number(share > 0 ? (double)count[s] / (share * population) : NAN));
        json_object_set_new(o, "penetration_lower",
                            cli_json_number(hi > 0 ? (double)count[s] / (hi * population) : NAN));
        json_object_set_new(o, "penetration_upper",
                            cli_json_number(lo > 0 ? (double)count[s] / (lo * population) : NAN));
      }
      if (e.on) {
        double churn = e.months[s] > 0 ? (double)e.churned[s] / e.months[s] : NAN;
        double arpu = e.active[s] > 0 ? e.mrr[s] / (double)e.active[s] : NAN;
        json_object_set_new(o, "active", json_integer((json_int_t)e.active[s]));
        json_object_set_new(o, "churned", json_integer((json_int_t)e.churned[s]));
        json_object_set_new(o, "mrr", json_real(e.mrr[s]));
        json_object_set_new(o, "arpu", cli_json_number(arpu));
        json_object_set_new(o, "monthly_churn", cli_json_number(churn));
        json_object_set_new(o, "ltv", cli_json_number(churn > 0 ? arpu / churn : NAN));
      }
      json_array_append_new(rows, o);
    }
    json_t *root = json_pack("{s:s, s:s, s:I, s:I, s:o, s:o}", "model", name, "customers",
                             customers, "typed", (json_int_t)typed, "untyped",
                             (json_int_t)untyped, "population",
                             population > 0 ? json_real(population) : json_null(), "segments",
                             rows);
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
  } else if (rc == 0) {
    const char *headers[16] = {"segment", "market_pct", "market_interval", "customers",
                               "customers_pct", "index"};
    size_t nh = 6;
    if (population > 0) {
      headers[nh++] = "market_size";
      headers[nh++] = "penetration_pct";
      headers[nh++] = "penetration_interval";
    }
    if (e.on) {
      headers[nh++] = "active";
      headers[nh++] = "mrr";
      headers[nh++] = "arpu";
      headers[nh++] = "churn_pct_month";
      headers[nh++] = "ltv";
    }
    cli_grid *g = cli_grid_new(nh, headers);
    char cell[64];
    for (size_t s = 0; g != NULL && s < k; s++) {
      const json_t *m = json_array_get(json_object_get(market, "shares"), s);
      double share = json_number_value(json_object_get(m, "share"));
      double lo = json_number_value(json_object_get(m, "lower"));
      double hi = json_number_value(json_object_get(m, "upper"));
      double ours = typed > 0 ? (double)count[s] / (double)typed : NAN;
      cli_grid_row(g);
      cli_grid_text(g, json_string_value(json_array_get(labels, s)));
      cli_grid_real(g, 100 * share, 1);
      snprintf(cell, sizeof cell, "%.1f - %.1f", 100 * lo, 100 * hi);
      cli_grid_text(g, cell);
      cli_grid_int(g, (int64_t)count[s]);
      cli_grid_real(g, 100 * ours, 1);
      cli_grid_real(g, share > 0 ? 100 * ours / share : NAN, 0);
      if (population > 0) {
        cli_grid_real(g, share * population, 0);
        cli_grid_real(g, share > 0 ? 100 * (double)count[s] / (share * population) : NAN, 2);
        ratio_interval(g, (double)count[s], lo * population, hi * population);
      }
      if (e.on) {
        double churn = e.months[s] > 0 ? (double)e.churned[s] / e.months[s] : NAN;
        double arpu = e.active[s] > 0 ? e.mrr[s] / (double)e.active[s] : NAN;
        cli_grid_int(g, (int64_t)e.active[s]);
        cli_grid_real(g, e.mrr[s], 0);
        cli_grid_real(g, arpu, 0);
        cli_grid_real(g, 100 * churn, 2);
        cli_grid_real(g, churn > 0 ? arpu / churn : NAN, 0);
      }
    }
    rc = g != NULL && cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
    cli_grid_free(g);
    if (rc == 0 && a->format == CLI_FORMAT_TABLE) {
      printf("%zu of %zu customers typed with the golden questions of '%s'%s; index = our "
             "share of the segment / its market share x 100 (over 100: we win there)\n",
             typed, n, name, untyped > 0 ? " (the others miss an answer)" : "");
      if (population > 0) {
        printf("penetration = our customers / the segment's market size (%.0f x share), with "
               "the market's 95%% interval\n", population);
      }
      if (e.on) {
        char day[16];
        segkit_format_date(e.as_of, day, sizeof day);
        printf("on %s: MRR of our active customers; churn per month = churned / months paid; "
               "ARPU = MRR / active; LTV = ARPU / churn (docs/metrics.md)\n", day);
      } else {
        printf("with --subscriptions NAME: MRR, churn and LTV of our customers per segment\n");
      }
    }
  }
  mix_free(&x);
  segkit_workspace_close(ws);
  return rc;
}

int survey_customer_mix(cli_args *a, const char *model, const char *customers, size_t k,
                        char *const *labels, double *index_out, double *ltv_out) {
  for (size_t s = 0; s < k; s++) {
    index_out[s] = NAN;
    ltv_out[s] = NAN;
  }
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  customer_mix x;
  memset(&x, 0, sizeof x);
  if (rc == 0) {
    rc = mix_open(a, ws, model, customers, &x);
  }
  const json_t *shares = json_object_get(json_object_get(x.doc, "market"), "shares");
  const json_t *names = json_object_get(x.doc, "segments");
  size_t typed_n = x.n - x.untyped;
  /* the model's segments, matched to the caller's by name */
  for (size_t m = 0; rc == 0 && m < x.k; m++) {
    const char *nm = json_string_value(json_array_get(names, m));
    double share = json_number_value(json_object_get(json_array_get(shares, m), "share"));
    for (size_t s = 0; nm != NULL && s < k; s++) {
      if (strcmp(labels[s], nm) != 0) {
        continue;
      }
      index_out[s] = typed_n > 0 && share > 0
                         ? 100.0 * ((double)x.count[m] / (double)typed_n) / share
                         : NAN;
      if (x.e.on) {
        double churn = x.e.months[m] > 0 ? (double)x.e.churned[m] / x.e.months[m] : NAN;
        double arpu = x.e.active[m] > 0 ? x.e.mrr[m] / (double)x.e.active[m] : NAN;
        ltv_out[s] = churn > 0 ? arpu / churn : NAN;
      }
    }
  }
  mix_free(&x);
  segkit_workspace_close(ws);
  return rc;
}
