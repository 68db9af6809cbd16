/* segkit describe: the data-quality profile of a dataset or a file: per column type, null
 * share, distinct count, range, mean, top values; duplicate keys; suspicious values
 * (negative amounts, dates in the future or before 1990, outliers by IQR). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const cli_opt describe_opts[] = {
    {"key", CLI_OPT_VALUE, "COL", "check that this column is unique (default: the dataset's key)"},
    {"top", CLI_OPT_VALUE, "N", "most frequent values shown per column (default 3; JSON 5)"},
};

/* A finding: something in the data a person should look at. */
typedef struct finding {
  const char *column;
  const char *kind;
  int64_t count;
  char message[256];
} finding;

static size_t collect_findings(const segkit_table_profile *p, finding *out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < p->n_cols; i++) {
    const segkit_column_profile *c = &p->columns[i];
    if (c->negative_suspicious && n < cap) {
      out[n] = (finding){c->name, "negative_values", c->n_negative, ""};
      snprintf(out[n].message, sizeof out[n].message, "%lld negative value%s",
               (long long)c->n_negative, c->n_negative == 1 ? "" : "s");
      n++;
    }
    if (c->n_future > 0 && n < cap) {
      out[n] = (finding){c->name, "future_dates", c->n_future, ""};
      snprintf(out[n].message, sizeof out[n].message, "%lld date%s in the future",
               (long long)c->n_future, c->n_future == 1 ? "" : "s");
      n++;
    }
    if (c->n_before_min_date > 0 && n < cap) {
      out[n] = (finding){c->name, "dates_before_1990", c->n_before_min_date, ""};
      snprintf(out[n].message, sizeof out[n].message, "%lld date%s before 1990-01-01",
               (long long)c->n_before_min_date, c->n_before_min_date == 1 ? "" : "s");
      n++;
    }
    if (c->n_outliers_low > 0 && n < cap) {
      out[n] = (finding){c->name, "outliers_low", c->n_outliers_low, ""};
      snprintf(out[n].message, sizeof out[n].message, "%lld value%s below %.6g (Q1 - 3 x IQR%s)",
               (long long)c->n_outliers_low, c->n_outliers_low == 1 ? "" : "s", c->fence_low,
               c->fences_log_scale ? ", log scale" : "");
      n++;
    }
    if (c->n_outliers_high > 0 && n < cap) {
      out[n] = (finding){c->name, "outliers_high", c->n_outliers_high, ""};
      snprintf(out[n].message, sizeof out[n].message, "%lld value%s above %.6g (Q3 + 3 x IQR%s)",
               (long long)c->n_outliers_high, c->n_outliers_high == 1 ? "" : "s", c->fence_high,
               c->fences_log_scale ? ", log scale" : "");
      n++;
    }
    if (c->n_rows > 0 && c->n_null == c->n_rows && n < cap) {
      out[n] = (finding){c->name, "all_null", c->n_null, "every value is null"};
      n++;
    }
  }
  for (size_t i = 0; i < p->n_order_checks && n < cap; i++) {
    const segkit_order_check *oc = &p->order_checks[i];
    if (oc->n_end_before_start > 0) {
      out[n] = (finding){oc->end_column, "end_before_start", oc->n_end_before_start, ""};
      snprintf(out[n].message, sizeof out[n].message, "%lld row%s where %s is before %s",
               (long long)oc->n_end_before_start, oc->n_end_before_start == 1 ? "" : "s",
               oc->end_column, oc->start_column);
      n++;
    }
  }
  if (p->key != NULL && p->n_duplicate_keys > 0 && n < cap) {
    out[n] = (finding){p->key, "duplicate_keys", p->n_duplicate_keys, ""};
    snprintf(out[n].message, sizeof out[n].message,
             "%lld key value%s occur more than once (%lld rows), e.g. '%s' x%lld",
             (long long)p->n_duplicate_keys, p->n_duplicate_keys == 1 ? "" : "s",
             (long long)p->n_rows_with_duplicate_key,
             p->n_duplicate_examples > 0 ? p->duplicate_examples[0].value : "?",
             p->n_duplicate_examples > 0 ? (long long)p->duplicate_examples[0].count : 0LL);
    n++;
  }
  if (p->key != NULL && p->n_null_keys > 0 && n < cap) {
    out[n] = (finding){p->key, "null_keys", p->n_null_keys, ""};
    snprintf(out[n].message, sizeof out[n].message, "%lld row%s without a key",
             (long long)p->n_null_keys, p->n_null_keys == 1 ? "" : "s");
    n++;
  }
  return n;
}

static json_t *real_or_null(bool has, double v) {
  return has && isfinite(v) ? json_real(v) : json_null();
}

static json_t *text_or_null(const char *s) { return s != NULL ? json_string(s) : json_null(); }

static json_t *profile_json(const char *name, const char *origin, const segkit_table_profile *p,
                            const finding *f, size_t n_findings) {
  json_t *cols = json_array();
  for (size_t i = 0; i < p->n_cols; i++) {
    const segkit_column_profile *c = &p->columns[i];
    json_t *top = json_array();
    for (size_t k = 0; k < c->n_top; k++) {
      json_array_append_new(top, json_pack("{s:o, s:I}", "value", text_or_null(c->top[k].value),
                                           "count", (json_int_t)c->top[k].count));
    }
    bool quart = c->has_range && c->type != SEGKIT_TYPE_STRING;
    json_t *o = json_pack(
        "{s:s, s:s, s:I, s:I, s:f, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", c->name,
        "type", segkit_type_name(c->type), "rows", (json_int_t)c->n_rows, "nulls",
        (json_int_t)c->n_null, "null_share", c->null_share, "distinct", (json_int_t)c->n_distinct,
        "min", text_or_null(c->min), "max", text_or_null(c->max), "mean",
        real_or_null(c->has_moments, c->mean), "stddev", real_or_null(c->has_moments, c->stddev),
        "q1", real_or_null(quart, c->q1), "median", real_or_null(quart, c->median), "q3",
        real_or_null(quart, c->q3), "top", top);
    json_object_set_new(o, "negative", json_integer(c->n_negative));
    json_object_set_new(o, "future", json_integer(c->n_future));
    json_object_set_new(o, "before_1990", json_integer(c->n_before_min_date));
    json_object_set_new(o, "outliers_low", json_integer(c->n_outliers_low));
    json_object_set_new(o, "outliers_high", json_integer(c->n_outliers_high));
    json_object_set_new(o, "fence_low", real_or_null(true, c->fence_low));
    json_object_set_new(o, "fence_high", real_or_null(true, c->fence_high));
    json_object_set_new(o, "fence_scale", json_string(c->fences_log_scale ? "log" : "linear"));
    json_object_set_new(o, "empty_strings", json_integer(c->n_empty_strings));
    json_array_append_new(cols, o);
  }
  json_t *findings = json_array();
  for (size_t i = 0; i < n_findings; i++) {
    json_array_append_new(findings, json_pack("{s:s, s:s, s:I, s:s}", "column", f[i].column,
                                              "kind", f[i].kind, "count", (json_int_t)f[i].count,
                                              "message", f[i].message));
  }
  json_t *root = json_pack("{s:s, s:s, s:I, s:I, s:o}", "name", name, "origin", origin, "rows",
                           (json_int_t)p->n_rows, "columns_count", (json_int_t)p->n_cols,
                           "columns", cols);
  if (p->key != NULL) {
    json_t *dups = json_array();
    for (size_t i = 0; i < p->n_duplicate_examples; i++) {
      json_array_append_new(dups, json_pack("{s:s, s:I}", "value", p->duplicate_examples[i].value,
                                            "count", (json_int_t)p->duplicate_examples[i].count));
    }
    json_object_set_new(root, "key",
                        json_pack("{s:s, s:I, s:I, s:I, s:o}", "column", p->key, "duplicate_keys",
                                  (json_int_t)p->n_duplicate_keys, "rows_with_duplicate_key",
                                  (json_int_t)p->n_rows_with_duplicate_key, "null_keys",
                                  (json_int_t)p->n_null_keys, "examples", dups));
  }
  json_t *orders = json_array();
  for (size_t i = 0; i < p->n_order_checks; i++) {
    const segkit_order_check *oc = &p->order_checks[i];
    json_array_append_new(orders, json_pack("{s:s, s:s, s:I, s:I}", "start", oc->start_column,
                                            "end", oc->end_column, "compared",
                                            (json_int_t)oc->n_compared, "end_before_start",
                                            (json_int_t)oc->n_end_before_start));
  }
  json_object_set_new(root, "order_checks", orders);
  json_object_set_new(root, "findings", findings);
  return root;
}

static void top_text(const segkit_column_profile *c, size_t n_top, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t k = 0; k < c->n_top && k < n_top && used < size; k++) {
    char value[48];
    snprintf(value, sizeof value, "%s", c->top[k].value);
    if (strlen(c->top[k].value) >= sizeof value) {
      memcpy(value + sizeof value - 4, "...", 4);
    }
    int w = snprintf(buf + used, size - used, "%s%s (%lld)", k > 0 ? ", " : "", value,
                     (long long)c->top[k].count);
    if (w < 0) {
      break;
    }
    used += (size_t)w;
  }
}

static bool print_grid(const segkit_table_profile *p, size_t n_top, cli_format fmt) {
  static const char *const headers[] = {"column", "type", "nulls", "null_pct", "distinct", "min",
                                        "max", "mean", "top_values"};
  cli_grid *g = cli_grid_new(9, headers);
  for (size_t i = 0; g != NULL && i < p->n_cols; i++) {
    const segkit_column_profile *c = &p->columns[i];
    char top[512];
    top_text(c, n_top, top, sizeof top);
    cli_grid_row(g);
    cli_grid_text(g, c->name);
    cli_grid_text(g, segkit_type_name(c->type));
    cli_grid_int(g, c->n_null);
    cli_grid_real(g, 100.0 * c->null_share, 1);
    cli_grid_int(g, c->n_distinct);
    cli_grid_text(g, c->min);
    cli_grid_text(g, c->max);
    if (c->has_moments) {
      cli_grid_real(g, c->mean, fabs(c->mean) >= 1000 ? 1 : 3);
    } else {
      cli_grid_null(g);
    }
    cli_grid_text(g, top);
  }
  if (g != NULL) {
    cli_grid_row(g);
  }
  bool ok = cli_grid_print(g, fmt, stdout);
  cli_grid_free(g);
  return ok;
}

/* Dataset from the workspace when one of that name exists, else a file. */
static int load_target(cli_args *a, const char *target, segkit_table **table, char **key,
                       const char **origin) {
  segkit_error err;
  segkit_error_clear(&err);
  const char *ws_path = cli_workspace_path(a);
  struct stat st;
  if (stat(ws_path, &st) == 0) {
    segkit_workspace *ws = NULL;
    int rc = cli_open_workspace(a, false, &ws);
    if (rc != 0) {
      return rc;
    }
    segkit_dataset_list *info = NULL;
    if (segkit_workspace_dataset_info(ws, target, &info, &err) == SEGKIT_OK) {
      if (info->n > 0 && info->items[0].key != NULL) {
        *key = strdup(info->items[0].key);
      }
      segkit_dataset_list_free(info);
      rc = 0;
      if (segkit_workspace_load(ws, target, table, &err) != SEGKIT_OK) {
        rc = cli_report(&err);
      }
      *origin = "dataset";
      segkit_workspace_close(ws);
      return rc;
    }
    segkit_workspace_close(ws);
  }
  if (stat(target, &st) != 0) {
    fprintf(stderr, "segkit describe: '%s' is neither a dataset in %s nor a file\n", target,
            ws_path);
    return CLI_EXIT_DATA;
  }
  cli_read_setup setup;
  if (!cli_read_setup_from_args(a, "describe", target, &setup)) {
    cli_read_setup_free(&setup);
    return CLI_EXIT_USAGE;
  }
  /* Profiling is for finding problems: by default bad rows are counted and skipped
   * rather than ending the run (an explicit --on-error still wins). */
  if (cli_get(a, "on-error") == NULL) {
    setup.opt.on_error = SEGKIT_ON_ERROR_SKIP;
  }
  segkit_read_result *res = NULL;
  int rc = 0;
  if (cli_read_file(a, target, &setup, &res, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else {
    const segkit_read_counts *c = segkit_read_result_counts(res);
    if (c->rows_rejected > 0 && !a->quiet) {
      fprintf(stderr, "segkit describe: %lld row%s of %s rejected and not profiled\n",
              (long long)c->rows_rejected, c->rows_rejected == 1 ? "" : "s", target);
    }
    *table = segkit_read_result_take_table(res);
    *origin = "file";
  }
  segkit_read_result_free(res);
  cli_read_setup_free(&setup);
  return rc;
}

static int run_describe(cli_args *a) {
  if (a->n_positional != 1) {
    return cli_usage_error("describe", "expected one dataset name or file");
  }
  const char *target = a->positional[0];
  int64_t top_n = a->format == CLI_FORMAT_JSON ? 5 : 3;
  if (!cli_get_int(a, "top", 0, 100, &top_n)) {
    return CLI_EXIT_USAGE;
  }
  segkit_table *table = NULL;
  char *stored_key = NULL;
  const char *origin = NULL;
  int rc = load_target(a, target, &table, &stored_key, &origin);
  if (rc != 0) {
    free(stored_key);
    return rc;
  }
  segkit_describe_options opt;
  segkit_describe_options_init(&opt);
  opt.top_n = (size_t)(top_n > 5 ? top_n : 5);
  opt.key = cli_get(a, "key") != NULL ? cli_get(a, "key") : stored_key;
  segkit_table_profile *p = NULL;
  segkit_error err;
  if (segkit_describe(table, &opt, &p, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else {
    finding findings[256];
    size_t n_findings = collect_findings(p, findings, sizeof findings / sizeof findings[0]);
    if (a->format == CLI_FORMAT_JSON) {
      json_t *j = profile_json(target, origin, p, findings, n_findings);
      json_dumpf(j, stdout, CLI_JSON_FLAGS);
      printf("\n");
      json_decref(j);
    } else if (a->format == CLI_FORMAT_CSV) {
      rc = print_grid(p, (size_t)top_n, CLI_FORMAT_CSV) ? 0 : CLI_EXIT_ENV;
    } else {
      char b[32];
      printf("%s '%s': %s rows, %zu columns\n\n", origin, target,
             cli_thousands(p->n_rows, b, sizeof b), p->n_cols);
      rc = print_grid(p, (size_t)top_n, CLI_FORMAT_TABLE) ? 0 : CLI_EXIT_ENV;
      if (p->key != NULL && p->n_duplicate_keys == 0 && p->n_null_keys == 0) {
        printf("\nkey %s: unique, no nulls\n", p->key);
      }
      printf("\n%s\n", n_findings > 0 ? "suspicious values:" : "no suspicious values found");
      for (size_t i = 0; i < n_findings; i++) {
        printf("  %s: %s\n", findings[i].column, findings[i].message);
      }
    }
  }
  segkit_table_profile_free(p);
  segkit_table_free(table);
  free(stored_key);
  return rc;
}

const cli_verb cli_verb_describe = {
    .name = "describe",
    .summary = "data-quality profile of a dataset or file: types, nulls, ranges, suspicious values",
    .usage = "segkit describe NAME|FILE [--key COL] [--top N] [--format table|csv|json]",
    .description =
        "Per column: type, nulls, distinct values, min, max, mean, most frequent values.\n"
        "Flags negative values in amount-like columns, dates in the future or before 1990,\n"
        "outliers beyond Q1 - 3 IQR / Q3 + 3 IQR, and duplicate or missing keys. NAME is\n"
        "looked up in the workspace first; otherwise the argument is read as a file with\n"
        "the reading options below (rows that do not fit are counted and skipped unless\n"
        "--on-error says otherwise). Definitions: docs/metrics.md.",
    .opts = describe_opts,
    .n_opts = sizeof describe_opts / sizeof describe_opts[0],
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_describe,
};
