/* Reader flags shared by every verb that reads a data file (import, describe FILE), so
 * they spell and behave the same everywhere: --type, --schema, --date-format, --delimiter,
 * --on-error, --infer-rows, --null, --jsonl. */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

const cli_opt cli_read_opts[CLI_N_READ_OPTS] = {
    {"type", CLI_OPT_MULTI, "COL=TYPE", "fix a column's type: int64, float64, bool, date, timestamp, string (repeatable, or comma-separated)"},
    {"schema", CLI_OPT_VALUE, "FILE", "column types from a file: JSON {\"col\": \"type\"} or lines col=type (--type wins)"},
    {"date-format", CLI_OPT_VALUE, "FMT", "strptime-like pattern for dates/timestamps, e.g. %d/%m/%Y"},
    {"delimiter", CLI_OPT_VALUE, "C", "CSV delimiter: , ; tab | (default: detected)"},
    {"on-error", CLI_OPT_VALUE, "MODE", "bad rows: fail (default), skip, or quarantine (kept in the workspace)"},
    {"infer-rows", CLI_OPT_VALUE, "N", "rows sampled to infer types (default 10000; 0 = all)"},
    {"null", CLI_OPT_MULTI, "TEXT", "a value read as null (repeatable; default NA, N/A, NULL, null)"},
    {"jsonl", CLI_OPT_FLAG, NULL, "the file is JSON Lines (default: by extension .jsonl/.ndjson)"},
};

static bool add_type(cli_read_setup *s, size_t *n, const char *verb, const char *name,
                     size_t name_len, const char *type_name) {
  if (name_len == 0) {
    cli_usage_error(verb, "--type needs COL=TYPE, got an empty column name");
    return false;
  }
  segkit_error err;
  segkit_type t;
  if (segkit_type_parse(type_name, &t, &err) != SEGKIT_OK) {
    cli_usage_error(verb, "column '%.*s': unknown type '%s' (expected int64, float64, bool, date, timestamp or string)",
                    (int)name_len, name, type_name);
    return false;
  }
  /* Later wins: --type after --schema, and a later --type for the same column. */
  for (size_t i = 0; i < *n; i++) {
    if (strlen(s->types[i].column) == name_len && memcmp(s->types[i].column, name, name_len) == 0) {
      s->types[i].type = t;
      return true;
    }
  }
  if (*n == sizeof s->types / sizeof s->types[0]) {
    cli_usage_error(verb, "too many column types (at most 256)");
    return false;
  }
  char *copy = malloc(name_len + 1);
  if (copy == NULL) {
    return false;
  }
  memcpy(copy, name, name_len);
  copy[name_len] = '\0';
  s->type_names[*n] = copy;
  s->types[*n].column = copy;
  s->types[*n].type = t;
  (*n)++;
  return true;
}

/* "a=int64,b=string" */
static bool parse_type_list(cli_read_setup *s, size_t *n, const char *verb, const char *spec) {
  const char *p = spec;
  while (*p != '\0') {
    const char *end = strchr(p, ',');
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    if (eq == NULL) {
      cli_usage_error(verb, "--type needs COL=TYPE, got '%.*s'", (int)len, p);
      return false;
    }
    char type_name[32];
    size_t tlen = len - (size_t)(eq + 1 - p);
    if (tlen >= sizeof type_name) {
      tlen = sizeof type_name - 1;
    }
    memcpy(type_name, eq + 1, tlen);
    type_name[tlen] = '\0';
    if (!add_type(s, n, verb, p, (size_t)(eq - p), type_name)) {
      return false;
    }
    p += len;
    if (*p == ',') {
      p++;
    }
  }
  return true;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) {
    s++;
  }
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1])) {
    s[--n] = '\0';
  }
  return s;
}

static bool parse_schema_file(cli_read_setup *s, size_t *n, const char *verb, const char *path) {
  json_error_t jerr;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (root != NULL) {
    json_t *cols = json_object_get(root, "columns");
    json_t *obj = json_is_object(cols) ? cols : root;
    bool ok = json_is_object(obj);
    if (!ok) {
      fprintf(stderr, "segkit %s: %s: expected a JSON object of column: type\n", verb, path);
    }
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
      if (!ok) {
        break;
      }
      if (!json_is_string(val)) {
        fprintf(stderr, "segkit %s: %s: field '%s': expected a type name string\n", verb, path, key);
        ok = false;
        break;
      }
      ok = add_type(s, n, verb, key, strlen(key), json_string_value(val));
    }
    json_decref(root);
    return ok;
  }
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "segkit %s: %s: cannot open schema file\n", verb, path);
    return false;
  }
  /* Not JSON: lines "col=type" or "col,type"; '#' starts a comment. */
  char line[1024];
  long line_no = 0;
  bool ok = true;
  while (ok && fgets(line, sizeof line, f) != NULL) {
    line_no++;
    char *hash = strchr(line, '#');
    if (hash != NULL) {
      *hash = '\0';
    }
    char *t = trim(line);
    if (*t == '\0') {
      continue;
    }
    char *sep = strpbrk(t, "=,:");
    if (sep == NULL) {
      fprintf(stderr, "segkit %s: %s:%ld: expected col=type\n", verb, path, line_no);
      ok = false;
      break;
    }
    *sep = '\0';
    char *name = trim(t);
    ok = add_type(s, n, verb, name, strlen(name), trim(sep + 1));
  }
  fclose(f);
  return ok;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s);
  size_t m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool cli_read_setup_from_args(const cli_args *a, const char *verb, const char *path,
                              cli_read_setup *s) {
  memset(s, 0, sizeof *s);
  segkit_read_options_init(&s->opt);
  s->opt.n_threads = a->threads;
  size_t n_types = 0;
  const char *schema = cli_get(a, "schema");
  if (schema != NULL && !parse_schema_file(s, &n_types, verb, schema)) {
    return false;
  }
  const char *const *types;
  size_t n = cli_get_multi(a, "type", &types);
  for (size_t i = 0; i < n; i++) {
    if (!parse_type_list(s, &n_types, verb, types[i])) {
      return false;
    }
  }
  s->opt.types = s->types;
  s->opt.n_types = n_types;
  s->opt.date_format = cli_get(a, "date-format");
  const char *delim = cli_get(a, "delimiter");
  if (delim != NULL) {
    if (strcmp(delim, "tab") == 0 || strcmp(delim, "\\t") == 0 || strcmp(delim, "\t") == 0) {
      s->opt.delimiter = '\t';
    } else if (strlen(delim) == 1 && strchr(",;|", delim[0]) != NULL) {
      s->opt.delimiter = delim[0];
    } else {
      cli_usage_error(verb, "--delimiter must be one of , ; tab |, not '%s'", delim);
      return false;
    }
  }
  const char *on_error = cli_get(a, "on-error");
  if (on_error != NULL) {
    if (strcmp(on_error, "fail") == 0) {
      s->opt.on_error = SEGKIT_ON_ERROR_FAIL;
    } else if (strcmp(on_error, "skip") == 0) {
      s->opt.on_error = SEGKIT_ON_ERROR_SKIP;
    } else if (strcmp(on_error, "quarantine") == 0) {
      s->opt.on_error = SEGKIT_ON_ERROR_QUARANTINE;
    } else {
      cli_usage_error(verb, "--on-error must be fail, skip or quarantine, not '%s'", on_error);
      return false;
    }
  }
  int64_t infer = (int64_t)s->opt.infer_rows;
  if (!cli_get_int(a, "infer-rows", 0, INT64_C(1) << 40, &infer)) {
    return false;
  }
  s->opt.infer_rows = (size_t)infer;
  const char *const *nulls;
  size_t n_nulls = cli_get_multi(a, "null", &nulls);
  if (n_nulls > 0) {
    if (n_nulls > sizeof s->nulls / sizeof s->nulls[0]) {
      n_nulls = sizeof s->nulls / sizeof s->nulls[0];
    }
    for (size_t i = 0; i < n_nulls; i++) {
      s->nulls[i] = nulls[i];
    }
    s->opt.null_values = s->nulls;
    s->opt.n_null_values = n_nulls;
  }
  s->opt.source_name = path;
  s->jsonl = cli_has(a, "jsonl") || ends_with(path, ".jsonl") || ends_with(path, ".ndjson");
  return true;
}

void cli_read_setup_free(cli_read_setup *s) {
  for (size_t i = 0; i < sizeof s->type_names / sizeof s->type_names[0]; i++) {
    free(s->type_names[i]);
    s->type_names[i] = NULL;
  }
}

static void on_progress(void *ctx, uint64_t done, uint64_t total) {
  (void)total;
  cli_progress_update(ctx, (int64_t)done);
}

segkit_status cli_read_file(const cli_args *a, const char *path, cli_read_setup *s,
                            segkit_read_result **out, segkit_error *err) {
  struct stat st;
  int64_t total = stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
  cli_progress *p = cli_progress_new(a, path, total);
  if (p != NULL) {
    s->opt.progress = on_progress;
    s->opt.progress_ctx = p;
  }
  segkit_status rc = s->jsonl ? segkit_jsonl_read(path, &s->opt, out, err)
                              : segkit_csv_read(path, &s->opt, out, err);
  cli_progress_done(p);
  s->opt.progress = NULL;
  s->opt.progress_ctx = NULL;
  return rc;
}

int cli_load_table(cli_args *a, const char *verb, segkit_table **out) {
  const char *dataset = cli_get(a, "dataset");
  if (dataset == NULL && a->n_positional != 1) {
    return cli_usage_error(verb, "give --dataset NAME or one FILE");
  }
  return cli_load_named(a, verb, dataset, dataset == NULL ? a->positional[0] : NULL, out);
}

int cli_load_named(cli_args *a, const char *verb, const char *dataset, const char *file,
                   segkit_table **out) {
  segkit_error err;
  segkit_error_clear(&err);
  if (dataset != NULL) {
    segkit_workspace *ws = NULL;
    int rc = cli_open_workspace(a, false, &ws);
    if (rc != 0) {
      return rc;
    }
    if (segkit_workspace_load(ws, dataset, out, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
    segkit_workspace_close(ws);
    return rc;
  }
  cli_read_setup setup;
  if (!cli_read_setup_from_args(a, verb, file, &setup)) {
    cli_read_setup_free(&setup);
    return CLI_EXIT_USAGE;
  }
  segkit_read_result *res = NULL;
  int rc = 0;
  if (cli_read_file(a, file, &setup, &res, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else {
    const segkit_read_counts *c = segkit_read_result_counts(res);
    if (c->rows_rejected > 0 && !a->quiet) {
      fprintf(stderr, "segkit %s: %lld row%s of %s rejected and left out (see --on-error)\n",
              verb, (long long)c->rows_rejected, c->rows_rejected == 1 ? "" : "s", file);
    }
    *out = segkit_read_result_take_table(res);
  }
  segkit_read_result_free(res);
  cli_read_setup_free(&setup);
  return rc;
}
