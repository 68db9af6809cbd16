/* segkit survey import FILE [--codebook FILE] --as NAME: survey responses into the
 * workspace with their codebook.
 *
 * SPSS (.sav, .zsav) and Stata (.dta) files carry their codebook; any other file is CSV
 * responses read against --codebook (the CSV codebook format, or the questionnaire JSON
 * `segkit generate` writes). Key design choices:
 *   - missing codes ("don't know", "refused") become nulls in the dataset, so every
 *     analysis (rules, clusters, crosstabs) leaves them out by default; the reason is not
 *     lost: a column COL_missing holds it for each question that has any;
 *   - a value that does not fit its question (a 7 on a 1-5 scale) is also a null, and is
 *     listed with the respondent, the question and the line, on stderr (the first 20) and
 *     in full with --bad-values FILE; --on-error fail stops at the first instead;
 *   - the codebook is stored beside the dataset (a workspace model of kind "codebook"),
 *     so crosstabs label answers with it. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "segkit/survey_file.h"
#include "survey_cli.h"

enum { BAD_SHOWN = 20, MAX_COLS = 4096 };

static bool has_ext(const char *path, const char *ext) {
  size_t n = strlen(path);
  size_t e = strlen(ext);
  return n > e && strcasecmp(path + n - e, ext) == 0;
}

static int read_survey(cli_args *a, const char *path, segkit_survey_data **out) {
  segkit_survey_options o;
  segkit_survey_options_init(&o);
  o.id_column = cli_get(a, "id");
  const char *on_error = cli_get(a, "on-error");
  if (on_error != NULL && strcmp(on_error, "fail") == 0) {
    o.on_error = SEGKIT_ON_ERROR_FAIL;
  } else if (on_error != NULL && strcmp(on_error, "skip") != 0 &&
             strcmp(on_error, "quarantine") != 0) {
    return cli_usage_error("survey", "--on-error must be fail, skip or quarantine");
  }
  o.labels_exhaustive = cli_has(a, "labels-exhaustive");
  segkit_error err;
  segkit_status st = SEGKIT_OK;
  bool stat_file = has_ext(path, ".sav") || has_ext(path, ".zsav") || has_ext(path, ".dta");
  if (stat_file) {
    if (cli_get(a, "codebook") != NULL) {
      return cli_usage_error("survey", "%s carries its own codebook: leave out --codebook", path);
    }
    st = segkit_survey_read_file(path, &o, out, &err);
  } else {
    if (cli_get(a, "codebook") == NULL) {
      return cli_usage_error("survey", "CSV responses need --codebook FILE (SPSS .sav and "
                                       "Stata .dta files carry their own)");
    }
    segkit_codebook *cb = NULL;
    st = segkit_codebook_read(cli_get(a, "codebook"), &cb, &err);
    if (st == SEGKIT_OK) {
      st = segkit_survey_read_csv(path, cb, &o, out, &err);
    }
    segkit_codebook_free(cb);
  }
  return st == SEGKIT_OK ? 0 : cli_report(&err);
}

/* The table with a COL_missing text column after each column that has missing-code rows,
 * holding the reason; the result borrows the table's arrays (and owns the new ones). */
typedef struct with_reasons {
  segkit_column_arrays cols[MAX_COLS];
  size_t n;
  uint32_t *codes[MAX_COLS];
  uint64_t *valid[MAX_COLS];
  char *dict[MAX_COLS];
  uint64_t *offsets[MAX_COLS];
  char *names[MAX_COLS];
  size_t n_owned;
} with_reasons;

static void with_reasons_free(with_reasons *w) {
  for (size_t i = 0; i < w->n_owned; i++) {
    free(w->codes[i]);
    free(w->valid[i]);
    free(w->dict[i]);
    free(w->offsets[i]);
    free(w->names[i]);
  }
}

/* A text column of the reasons of column c's missing codes (null where none). */
static int reason_column(const segkit_survey_data *d, size_t c, const segkit_codebook *cb,
                         long var, with_reasons *w) {
  const segkit_table *t = segkit_survey_data_table(d);
  size_t n = segkit_table_n_rows(t);
  const uint16_t *r = segkit_survey_data_reasons(d, c);
  size_t nm = segkit_codebook_n_missing(cb, (size_t)var);
  size_t k = w->n_owned;
  const char *base = segkit_column_name(segkit_table_column(t, c));
  size_t dict_bytes = 1;
  for (size_t m = 0; m < nm; m++) {
    dict_bytes += strlen(segkit_codebook_missing_at(cb, (size_t)var, m)->reason) + 1;
  }
  w->codes[k] = calloc(n + 1, sizeof *w->codes[k]);
  w->valid[k] = calloc((n + 63) / 64 + 1, sizeof *w->valid[k]);
  w->dict[k] = malloc(dict_bytes);
  w->offsets[k] = malloc((nm + 1) * sizeof *w->offsets[k]);
  w->names[k] = malloc(strlen(base) + sizeof "_missing");
  w->n_owned++;
  if (w->codes[k] == NULL || w->valid[k] == NULL || w->dict[k] == NULL ||
      w->offsets[k] == NULL || w->names[k] == NULL) {
    return CLI_EXIT_ENV;
  }
  sprintf(w->names[k], "%s_missing", base);
  w->offsets[k][0] = 0;
  for (size_t m = 0; m < nm; m++) {
    const char *reason = segkit_codebook_missing_at(cb, (size_t)var, m)->reason;
    size_t len = strlen(reason) + 1;
    memcpy(w->dict[k] + w->offsets[k][m], reason, len);
    w->offsets[k][m + 1] = w->offsets[k][m] + len;
  }
  for (size_t i = 0; i < n; i++) {
    if (r[i] != SEGKIT_SURVEY_ANSWERED && r[i] != SEGKIT_SURVEY_BLANK &&
        r[i] != SEGKIT_SURVEY_BAD && r[i] <= nm) {
      w->codes[k][i] = (uint32_t)(r[i] - 1);
      w->valid[k][i / 64] |= UINT64_C(1) << (i % 64);
    }
  }
  /* reasons no row uses would still be valid dictionary entries; keep them all */
  w->cols[w->n++] = (segkit_column_arrays){.name = w->names[k], .type = SEGKIT_TYPE_STRING,
                                           .data = w->codes[k], .validity = w->valid[k],
                                           .dict_size = (uint32_t)nm,
                                           .dict_offsets = w->offsets[k],
                                           .dict_bytes = w->dict[k]};
  return 0;
}

/* SPSS and Stata store every number as a double: an id column of whole numbers becomes
 * int64 so it can be the dataset's key. Others are left as they are. */
static int whole_ids(const segkit_column *c, with_reasons *w) {
  if (segkit_column_type(c) != SEGKIT_TYPE_FLOAT64) {
    return 0;
  }
  size_t n = segkit_column_n_rows(c);
  const double *v = segkit_column_float64(c);
  for (size_t i = 0; i < n; i++) {
    if (segkit_column_is_valid(c, i) && (v[i] != floor(v[i]) || fabs(v[i]) > 9e15)) {
      return 0;
    }
  }
  size_t k = w->n_owned++;
  int64_t *ids = malloc((n + 1) * sizeof *ids);
  w->codes[k] = (uint32_t *)ids; /* freed with the others */
  if (ids == NULL) {
    return CLI_EXIT_ENV;
  }
  for (size_t i = 0; i < n; i++) {
    ids[i] = segkit_column_is_valid(c, i) ? (int64_t)v[i] : 0;
  }
  w->cols[w->n - 1].type = SEGKIT_TYPE_INT64;
  w->cols[w->n - 1].data = ids;
  return 0;
}

int survey_table_for_workspace(const segkit_survey_data *d, const char *id,
                               segkit_table **out) {
  const segkit_table *t = segkit_survey_data_table(d);
  const segkit_codebook *cb = segkit_survey_data_codebook(d);
  with_reasons *w = calloc(1, sizeof *w);
  if (w == NULL) {
    return CLI_EXIT_ENV;
  }
  int rc = 0;
  for (size_t c = 0; rc == 0 && c < segkit_table_n_cols(t); c++) {
    if (w->n + 2 > MAX_COLS) {
      rc = cli_usage_error("survey", "more than %d columns", MAX_COLS / 2);
      break;
    }
    w->cols[w->n++] = segkit_column_as_arrays(segkit_table_column(t, c));
    if (id != NULL && strcmp(segkit_column_name(segkit_table_column(t, c)), id) == 0) {
      rc = whole_ids(segkit_table_column(t, c), w);
      if (rc != 0) {
        break;
      }
    }
    long var = segkit_survey_data_variable_of(d, c, NULL);
    bool any = false;
    for (size_t m = 0; var >= 0 && m < segkit_codebook_n_missing(cb, (size_t)var) && !any; m++) {
      any = segkit_survey_data_reason_count(d, c, (uint16_t)(m + 1)) > 0;
    }
    if (any) {
      rc = reason_column(d, c, cb, var, w);
    }
  }
  segkit_error err;
  if (rc == 0 &&
      segkit_table_from_arrays(segkit_table_n_rows(t), w->n, w->cols, out, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  with_reasons_free(w);
  free(w);
  return rc;
}

static int write_bad_values(const segkit_survey_data *d, const char *path) {
  static const char *const headers[] = {"row", "line", "respondent", "question", "value",
                                        "reason", "message"};
  cli_grid *g = cli_grid_new(7, headers);
  for (size_t i = 0; g != NULL && i < segkit_survey_data_n_bad_listed(d); i++) {
    const segkit_survey_bad_value *b = segkit_survey_data_bad_at(d, i);
    cli_grid_row(g);
    cli_grid_int(g, b->row >= 0 ? b->row + 1 : 0);
    cli_grid_int(g, b->line);
    cli_grid_text(g, b->respondent != NULL ? b->respondent : "");
    cli_grid_text(g, b->variable != NULL ? b->variable : "");
    cli_grid_text(g, b->value != NULL ? b->value : "");
    cli_grid_text(g, segkit_survey_bad_reason_id(b->reason));
    cli_grid_text(g, b->message != NULL ? b->message : "");
  }
  int rc = g == NULL ? CLI_EXIT_ENV : cli_grid_write_file(g, CLI_FORMAT_CSV, path);
  cli_grid_free(g);
  return rc;
}

static void report_bad(cli_args *a, const char *path, const segkit_survey_data *d) {
  size_t n = segkit_survey_data_n_bad(d);
  if (n == 0 || a->quiet) {
    return;
  }
  size_t shown = segkit_survey_data_n_bad_listed(d) < BAD_SHOWN ? segkit_survey_data_n_bad_listed(d)
                                                                : BAD_SHOWN;
  for (size_t i = 0; i < shown; i++) {
    const segkit_survey_bad_value *b = segkit_survey_data_bad_at(d, i);
    /* the message names the respondent, the question and the value */
    if (b->line > 0) {
      fprintf(stderr, "%s:%lld: %s\n", path, (long long)b->line, b->message);
    } else {
      fprintf(stderr, "%s: row %lld: %s\n", path, (long long)(b->row + 1), b->message);
    }
  }
  fprintf(stderr, "%zu value%s did not fit %s question and %s stored as no answer%s\n", n,
          n == 1 ? "" : "s", n == 1 ? "its" : "their", n == 1 ? "is" : "are",
          shown < n ? " (all of them with --bad-values FILE)" : "");
}

static int print_summary(cli_args *a, const char *name, const segkit_survey_data *d,
                         const segkit_table *stored) {
  const segkit_codebook *cb = segkit_survey_data_codebook(d);
  const segkit_table *t = segkit_survey_data_table(d);
  size_t by_type[SEGKIT_SURVEY_TYPE_COUNT] = {0};
  for (size_t v = 0; v < segkit_codebook_n_variables(cb); v++) {
    by_type[segkit_codebook_type(cb, v)]++;
  }
  size_t missing = 0;
  for (size_t c = 0; c < segkit_table_n_cols(t); c++) {
    long var = segkit_survey_data_variable_of(d, c, NULL);
    for (size_t m = 0; var >= 0 && m < segkit_codebook_n_missing(cb, (size_t)var); m++) {
      missing += segkit_survey_data_reason_count(d, c, (uint16_t)(m + 1));
    }
  }
  if (a->format == CLI_FORMAT_JSON) {
    json_t *types = json_object();
    for (int k = 0; k < SEGKIT_SURVEY_TYPE_COUNT; k++) {
      json_object_set_new(types, segkit_survey_type_name((segkit_survey_type)k),
                          json_integer((json_int_t)by_type[k]));
    }
    json_t *root = json_pack("{s:s, s:I, s:I, s:I, s:o, s:I, s:I}", "dataset", name,
                             "respondents", (json_int_t)segkit_table_n_rows(stored), "columns",
                             (json_int_t)segkit_table_n_cols(stored), "questions",
                             (json_int_t)segkit_codebook_n_variables(cb), "types", types,
                             "missing_answers", (json_int_t)missing, "bad_values",
                             (json_int_t)segkit_survey_data_n_bad(d));
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
    return 0;
  }
  if (a->quiet) {
    return 0;
  }
  printf("imported %zu respondents into %s: %zu questions (%zu single choice, %zu multiple "
         "choice, %zu scales, %zu numeric, %zu open text)\n",
         segkit_table_n_rows(stored), name, segkit_codebook_n_variables(cb),
         by_type[SEGKIT_SURVEY_SINGLE], by_type[SEGKIT_SURVEY_MULTI],
         by_type[SEGKIT_SURVEY_LIKERT], by_type[SEGKIT_SURVEY_NUMERIC],
         by_type[SEGKIT_SURVEY_TEXT]);
  printf("%zu answers were missing codes (don't know, refused, ...): stored as no answer, the "
         "reason in a COLUMN_missing column; %zu bad values\n",
         missing, segkit_survey_data_n_bad(d));
  return 0;
}

int survey_import(cli_args *a) {
  const char *name = cli_get(a, "as");
  if (a->n_positional != 2 || name == NULL) {
    return cli_usage_error("survey", "expected: survey import FILE [--codebook FILE] --as NAME "
                                     "[--id COL]");
  }
  const char *path = a->positional[1];
  segkit_survey_data *d = NULL;
  int rc = read_survey(a, path, &d);
  segkit_table *t = NULL;
  if (rc == 0) {
    report_bad(a, path, d);
    rc = survey_table_for_workspace(d, cli_get(a, "id"), &t);
  }
  if (rc == 0 && cli_get(a, "bad-values") != NULL) {
    rc = write_bad_values(d, cli_get(a, "bad-values"));
  }
  segkit_workspace *ws = NULL;
  if (rc == 0) {
    rc = cli_open_workspace(a, true, &ws);
  }
  if (rc == 0) {
    rc = survey_store(ws, name, cli_get(a, "id"), path, d, t);
  }
  if (rc == 0) {
    rc = print_summary(a, name, d, t);
  }
  segkit_workspace_close(ws);
  segkit_table_free(t);
  segkit_survey_data_free(d);
  return rc;
}

int survey_store(segkit_workspace *ws, const char *name, const char *id, const char *source,
                 const segkit_survey_data *d, const segkit_table *t) {
  segkit_error err;
  segkit_import_request req = {.dataset = name, .mode = SEGKIT_IMPORT_REPLACE, .key = id,
                               .table = t, .source = source, .actor = "cli:survey"};
  segkit_import_outcome oc;
  if (segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  char *json = NULL;
  if (segkit_codebook_to_json(segkit_survey_data_codebook(d), &json, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  char model[128];
  snprintf(model, sizeof model, "codebook-%s", name);
  int rc = 0;
  if (segkit_workspace_model_save(ws, model, "codebook", name, json, true, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  free(json);
  return rc;
}

segkit_codebook *survey_codebook_load(cli_args *a, const char *dataset) {
  if (dataset == NULL) {
    return NULL;
  }
  segkit_workspace *ws = NULL;
  if (cli_open_workspace(a, false, &ws) != 0) {
    return NULL;
  }
  char model[128];
  snprintf(model, sizeof model, "codebook-%s", dataset);
  segkit_model_list *l = NULL;
  segkit_error err;
  segkit_codebook *cb = NULL;
  if (segkit_workspace_models(ws, "codebook", model, &l, &err) == SEGKIT_OK && l->n == 1) {
    const char *doc = l->items[0].document;
    if (segkit_codebook_from_json(doc, strlen(doc), &cb, &err) != SEGKIT_OK) {
      cb = NULL;
    }
  }
  segkit_model_list_free(l);
  segkit_workspace_close(ws);
  return cb;
}
