/* libFuzzer target for the segment rule language (segkit/segment.h): arbitrary text is
 * compiled against a fixed small environment (customers with every column type, a linked
 * events table with a time column, a segment "vip"); what compiles is evaluated and
 * turned into SQL. Besides the sanitizers (no crash, no leak, no UB), the target checks
 * promises (two customer rows and two event rows hold the extreme int64, date and
 * timestamp values, to reach the overflow paths): a failed compile leaves *out NULL, says where ("rule:LINE:COL: ") for parse
 * and type errors and fills a NUL-terminated excerpt; a successful one evaluates to a
 * member count that matches its bitset, the same on 1 and 2 threads.
 *
 * The environment is built once; its pieces are gathered in one struct, g. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segkit/segment.h"
#include "segkit/table.h"

enum { N_ROWS = 70 };

static struct {
  segkit_table *customers;
  segkit_table *events;
  segkit_rule_env *env;
} g;

static segkit_table *build(size_t n_cols, const char *const *names, const segkit_type *types,
                           size_t n_rows, int salt) {
  segkit_table_builder *b = NULL;
  if (segkit_table_builder_new(n_cols, names, types, &b, NULL) != SEGKIT_OK) {
    abort();
  }
  static const char *const words[] = {"pro", "basic", "", "Team", "a b", "login", "x"};
  for (size_t r = 0; r < n_rows; r++) {
    for (size_t c = 0; c < n_cols; c++) {
      segkit_column_builder *cb = segkit_table_builder_column(b, c);
      int64_t v = (int64_t)((r * 7 + c * 13 + (size_t)salt) % 11);
      if (c > 0 && (r + c) % 9 == 0) {
        segkit_column_append_null(cb);
        continue;
      }
      if (c > 0 && (r == 5 || r == 6) && types[c] != SEGKIT_TYPE_STRING && types[c] != SEGKIT_TYPE_BOOL) {
        /* Extremes the readers never produce but a table may hold: overflow paths. */
        bool hi = r == 5;
        switch (types[c]) {
        case SEGKIT_TYPE_INT64: segkit_column_append_int64(cb, hi ? INT64_MAX : INT64_MIN); break;
        case SEGKIT_TYPE_TIMESTAMP: segkit_column_append_int64(cb, hi ? INT64_MAX : INT64_MIN); break;
        case SEGKIT_TYPE_DATE: segkit_column_append_date(cb, hi ? INT32_MAX : INT32_MIN); break;
        default: segkit_column_append_float64(cb, hi ? 1e308 : -1e308); break;
        }
        continue;
      }
      switch (types[c]) {
      case SEGKIT_TYPE_INT64: segkit_column_append_int64(cb, c == 0 ? (int64_t)(salt ? r % 80 : r) : v - 5); break;
      case SEGKIT_TYPE_FLOAT64: segkit_column_append_float64(cb, (double)v * 0.75 - 2); break;
      case SEGKIT_TYPE_BOOL: segkit_column_append_bool(cb, v % 2 == 0); break;
      case SEGKIT_TYPE_DATE: segkit_column_append_date(cb, (int32_t)(20000 + v * 31)); break;
      case SEGKIT_TYPE_TIMESTAMP: segkit_column_append_int64(cb, (20000 + v * 17) * SEGKIT_US_PER_DAY); break;
      default: segkit_column_append_string(cb, words[v % 7], strlen(words[v % 7])); break;
      }
    }
  }
  segkit_table *t = NULL;
  if (segkit_table_builder_finish(b, &t, NULL) != SEGKIT_OK) {
    abort();
  }
  return t;
}

static void init(void) {
  static const char *const cn[] = {"id", "plan", "mrr", "seats", "active", "signup", "last_seen", "ph.ecog"};
  static const segkit_type ct[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_FLOAT64,
                                   SEGKIT_TYPE_INT64, SEGKIT_TYPE_BOOL,   SEGKIT_TYPE_DATE,
                                   SEGKIT_TYPE_TIMESTAMP, SEGKIT_TYPE_FLOAT64};
  static const char *const en[] = {"customer_id", "name", "ts", "amount", "feature"};
  static const segkit_type et[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_TIMESTAMP,
                                   SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING};
  g.customers = build(8, cn, ct, N_ROWS, 0);
  g.events = build(5, en, et, 200, 3);
  segkit_error err;
  int64_t now = (int64_t)20200 * SEGKIT_US_PER_DAY;
  uint64_t vip[(N_ROWS + 63) / 64] = {UINT64_C(0x5555555555555555), 0x15};
  if (segkit_rule_env_new(g.customers, "id", now, &g.env, &err) != SEGKIT_OK ||
      segkit_rule_env_link(g.env, "events", g.events, "customer_id", "ts", &err) != SEGKIT_OK ||
      segkit_rule_env_add_segment(g.env, "vip", vip, &err) != SEGKIT_OK) {
    abort();
  }
}

static size_t popcount_bits(const uint64_t *bits, size_t words) {
  size_t n = 0;
  for (size_t i = 0; i < words; i++) {
    n += (size_t)__builtin_popcountll(bits[i]);
  }
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (g.env == NULL) {
    init();
  }
  char *text = malloc(size + 1);
  if (text == NULL) {
    return 0;
  }
  memcpy(text, data, size);
  text[size] = '\0';
  segkit_rule *rule = NULL;
  segkit_error err;
  segkit_rule_diag diag;
  segkit_status s = segkit_rule_compile(g.env, text, &rule, &diag, &err);
  if (s != SEGKIT_OK) {
    if (rule != NULL) {
      abort();
    }
    if ((s == SEGKIT_ERR_PARSE || s == SEGKIT_ERR_TYPE) &&
        (strncmp(err.message, "rule:", 5) != 0 || memchr(diag.excerpt, '\0', sizeof diag.excerpt) == NULL ||
         diag.line < 1 || diag.column < 1)) {
      abort();
    }
    free(text);
    return 0;
  }
  uint64_t b1[(N_ROWS + 63) / 64] = {0};
  uint64_t b2[(N_ROWS + 63) / 64] = {0};
  size_t c1 = 0;
  size_t c2 = 0;
  segkit_status e1 = segkit_rule_eval(rule, g.env, 1, b1, &c1, &err);
  segkit_status e2 = segkit_rule_eval(rule, g.env, 2, b2, &c2, &err);
  if (e1 != e2 || (e1 == SEGKIT_OK && (c1 != c2 || memcmp(b1, b2, sizeof b1) != 0 ||
                                       c1 != popcount_bits(b1, (N_ROWS + 63) / 64)))) {
    abort();
  }
  char *sql = NULL;
  if (segkit_rule_to_sql(rule, g.env, "customers", &sql, &err) == SEGKIT_OK) {
    free(sql);
  }
  segkit_rule_free(rule);
  free(text);
  return 0;
}
