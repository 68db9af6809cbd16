/* Sample data generator: the files parse as RFC 4180 CSV, their rows obey the invariants
 * the later modules rely on (no overlapping subscriptions, charges only inside a paid
 * subscription, amounts that equal seats x price x (1 - discount), refunds of earlier
 * charges, dates in the window, unique ids), the output is byte-identical whatever the
 * thread count, and options and I/O failures are reported as documented. The checks parse
 * the files with their own CSV reader and date arithmetic, not segkit's. The planted
 * statistical effects are measured by tests/data/sample/check_planted.py
 * (test_sample_planted.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "segkit/sample.h"
#include "testkit.h"

/* Days since 1970-01-01 of the defaults, from Python's datetime.date arithmetic. */
#define DAY_2026_06_30 20634
#define DAY_2023_07_01 19539
#define DAY_2019_07_01 18078
#define SECONDS_PER_DAY INT64_C(86400)

/* ==== an independent RFC 4180 reader ====================================================== */

typedef struct tcsv {
  char *data;
  size_t n_rows;   /* data rows, header excluded */
  size_t n_cols;
  char **cells;    /* (n_rows + 1) x n_cols, row 0 is the header */
  size_t bad_line; /* 0 if the file is valid */
} tcsv;

static const char *cell(const tcsv *t, size_t row, size_t col) {
  return t->cells[(row + 1) * t->n_cols + col];
}

static bool valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n) {
      return false;
    }
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) {
        return false;
      }
    }
    i += len;
  }
  return true;
}

/* Parse in place. Strict: LF line ends only, a final LF, quotes only around whole fields,
 * every record as wide as the header. */
static void tcsv_parse(tcsv *t, char *data, size_t size) {
  memset(t, 0, sizeof *t);
  t->data = data;
  size_t cap = 1024;
  size_t n = 0;
  t->cells = malloc(cap * sizeof *t->cells);
  size_t line = 1;
  size_t fields_in_row = 0;
  size_t i = 0;
  if (size == 0 || data[size - 1] != '\n' || !valid_utf8((unsigned char *)data, size)) {
    t->bad_line = 1;
    return;
  }
  while (i < size) {
    char *out = data + i;
    char *start = out;
    if (data[i] == '"') {
      i++;
      for (;;) {
        if (i >= size) {
          t->bad_line = line;
          return;
        }
        if (data[i] == '"') {
          if (i + 1 < size && data[i + 1] == '"') {
            *out++ = '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (data[i] == '\n') {
          line++;
        }
        *out++ = data[i++];
      }
    } else {
      while (data[i] != ',' && data[i] != '\n') {
        if (data[i] == '"' || data[i] == '\r') {
          t->bad_line = line;
          return;
        }
        out++;
        i++;
      }
    }
    char sep = data[i];
    if (sep != ',' && sep != '\n') {
      t->bad_line = line;
      return;
    }
    *out = '\0';
    i++;
    if (n == cap) {
      cap *= 2;
      t->cells = realloc(t->cells, cap * sizeof *t->cells);
    }
    t->cells[n++] = start;
    fields_in_row++;
    if (sep == '\n') {
      if (t->n_cols == 0) {
        t->n_cols = fields_in_row;
      } else if (fields_in_row != t->n_cols) {
        t->bad_line = line;
        return;
      }
      fields_in_row = 0;
      line++;
    }
  }
  t->n_rows = n / t->n_cols - 1;
}

static void tcsv_load(tcsv *t, const char *dir, const char *name) {
  char *path = tu_path_join(dir, name);
  size_t size = 0;
  char *data = tu_read_file(path, &size);
  assert_non_null(data);
  tcsv_parse(t, data, size);
  if (t->bad_line != 0) {
    fail_msg("%s is not valid RFC 4180 CSV at line %zu", path, t->bad_line);
  }
  free(path);
}

static void tcsv_free(tcsv *t) {
  free(t->cells);
  free(t->data);
  memset(t, 0, sizeof *t);
}

static void assert_header(const tcsv *t, const char *const *names, size_t n) {
  assert_int_equal(t->n_cols, n);
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(t->cells[i], names[i]);
  }
}

/* ==== independent date arithmetic: count days month by month ============================ */

static bool is_leap(long y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_length(long y, int m) {
  static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

static long days_of(long y, int m, int d) {
  long days = 0;
  for (long yy = 1970; yy < y; yy++) {
    days += is_leap(yy) ? 366 : 365;
  }
  for (int mm = 1; mm < m; mm++) {
    days += month_length(y, mm);
  }
  return days + d - 1;
}

static int digits(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') {
      return -1;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/* "YYYY-MM-DD" to days; fails the test on anything else. */
static long date_of(const char *s) {
  if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
    fail_msg("not a date: '%s'", s);
  }
  int y = digits(s, 4);
  int m = digits(s + 5, 2);
  int d = digits(s + 8, 2);
  if (y < 1970 || m < 1 || m > 12 || d < 1 || d > month_length(y, m)) {
    fail_msg("not a valid date: '%s'", s);
  }
  return days_of(y, m, d);
}

/* "YYYY-MM-DDTHH:MM:SSZ" to seconds. */
static int64_t ts_of(const char *s) {
  if (strlen(s) != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z') {
    fail_msg("not a timestamp: '%s'", s);
  }
  char day[11];
  memcpy(day, s, 10);
  day[10] = '\0';
  int h = digits(s + 11, 2);
  int mi = digits(s + 14, 2);
  int se = digits(s + 17, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) {
    fail_msg("not a valid time: '%s'", s);
  }
  return (int64_t)date_of(day) * SECONDS_PER_DAY + h * 3600 + mi * 60 + se;
}

/* "123.45" to cents; positive decimals with exactly two digits. */
static int64_t cents_of(const char *s) {
  const char *dot = strchr(s, '.');
  if (dot == NULL || strlen(dot) != 3 || dot == s) {
    fail_msg("not a 2-digit decimal: '%s'", s);
  }
  int64_t whole = 0;
  for (const char *p = s; p < dot; p++) {
    if (*p < '0' || *p > '9') {
      fail_msg("not a positive decimal: '%s'", s);
    }
    whole = whole * 10 + (*p - '0');
  }
  return whole * 100 + digits(dot + 1, 2);
}

static long num(const char *s) {
  char *end = NULL;
  long v = strtol(s, &end, 10);
  if (s[0] == '\0' || *end != '\0') {
    fail_msg("not an integer: '%s'", s);
  }
  return v;
}

/* ==== generation helpers ================================================================== */

static segkit_sample_options small_options(int64_t n_customers, int n_threads) {
  segkit_sample_options o;
  segkit_sample_options_init(&o);
  o.n_customers = n_customers;
  o.n_threads = n_threads;
  o.n_respondents = 600;
  return o;
}

static char *generate_into(const segkit_sample_options *o, segkit_sample_summary *sum) {
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  segkit_error err;
  segkit_status st = segkit_sample_generate(dir, o, sum, &err);
  if (st != SEGKIT_OK) {
    char msg[1200];
    segkit_error_format(&err, msg, sizeof msg);
    fail_msg("generate failed: %s", msg);
  }
  return dir;
}

static char *read_named(const char *dir, const char *name, size_t *size) {
  char *path = tu_path_join(dir, name);
  char *data = tu_read_file(path, size);
  free(path);
  assert_non_null(data);
  return data;
}

static void assert_same_file(const char *a, const char *b, const char *name) {
  size_t na = 0;
  size_t nb = 0;
  char *da = read_named(a, name, &na);
  char *db = read_named(b, name, &nb);
  if (na != nb || memcmp(da, db, na) != 0) {
    fail_msg("%s differs between %s and %s", name, a, b);
  }
  free(da);
  free(db);
}

static bool same_file(const char *a, const char *b, const char *name) {
  size_t na = 0;
  size_t nb = 0;
  char *da = read_named(a, name, &na);
  char *db = read_named(b, name, &nb);
  bool same = na == nb && memcmp(da, db, na) == 0;
  free(da);
  free(db);
  return same;
}

/* ==== tests: options ====================================================================== */

static void sample_options_defaults(void **state) {
  (void)state;
  segkit_sample_options o;
  memset(&o, 0xAB, sizeof o);
  segkit_sample_options_init(&o);
  assert_int_equal(o.n_customers, 10000);
  assert_int_equal(o.seed, 42);
  assert_int_equal(o.end_date, DAY_2026_06_30);
  assert_int_equal(o.months, 36);
  assert_int_equal(o.n_respondents, 2000);
  assert_false(o.dirty);
  assert_int_equal(o.n_threads, 0);
  assert_true(o.events_per_month > 0.0);
  assert_string_equal(segkit_sample_file_name(SEGKIT_SAMPLE_TRANSACTIONS), "transactions.csv");
  assert_string_equal(segkit_sample_file_name(SEGKIT_SAMPLE_SURVEY_CODEBOOK),
                      "survey_codebook.json");
  assert_null(segkit_sample_file_name(SEGKIT_SAMPLE_FILE_COUNT));
}

static void expect_usage(segkit_sample_options *o, const char *field) {
  segkit_error err;
  segkit_status st = segkit_sample_generate("/nonexistent-segkit-dir/x", o, NULL, &err);
  assert_int_equal(st, SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, field);
  segkit_sample_options_init(o);
}

static void sample_options_out_of_range(void **state) {
  (void)state;
  segkit_sample_options o;
  segkit_sample_options_init(&o);
  o.n_customers = -1;
  expect_usage(&o, "n_customers");
  o.months = 0;
  expect_usage(&o, "months");
  o.months = 121;
  expect_usage(&o, "months");
  o.events_per_month = -0.5;
  expect_usage(&o, "events_per_month");
  o.events_per_month = NAN;
  expect_usage(&o, "events_per_month");
  o.n_respondents = -3;
  expect_usage(&o, "n_respondents");
  o.dirty_share = 0.5;
  expect_usage(&o, "dirty_share");
  o.n_threads = -1;
  expect_usage(&o, "n_threads");
  o.end_date = -1000000;
  expect_usage(&o, "end_date");
  segkit_error err;
  assert_int_equal(segkit_sample_generate("", &o, NULL, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_sample_generate(NULL, &o, NULL, &err), SEGKIT_ERR_USAGE);
}

/* ==== tests: invariants ==================================================================== */

typedef struct sub_row {
  long id;
  long customer;
  long start, trial_end, end; /* days; -1 when empty */
  long seats;
  int64_t unit_cents;
  long discount;
  char plan[16];
  char interval[8];
  char currency[4];
  char status[12];
} sub_row;

static long opt_date(const char *s) {
  return s[0] == '\0' ? -1 : date_of(s);
}

static void check_customers(const tcsv *c, int64_t n, long *signup) {
  static const char *const cols[] = {"customer_id", "company_name", "signup_date", "country",
                                     "city", "company_size", "industry",
                                     "acquisition_channel"};
  assert_header(c, cols, 8);
  assert_int_equal(c->n_rows, n);
  bool non_ascii = false;
  bool quoted = false;
  for (size_t i = 0; i < c->n_rows; i++) {
    assert_int_equal(num(cell(c, i, 0)), (long)i + 1);
    signup[i] = date_of(cell(c, i, 2));
    assert_true(signup[i] >= DAY_2019_07_01 && signup[i] <= DAY_2026_06_30);
    if (i > 0) {
      assert_true(signup[i] >= signup[i - 1]); /* ids follow signup order */
    }
    assert_int_equal(strlen(cell(c, i, 3)), 2);
    for (size_t k = 0; k < 8; k++) {
      assert_true(cell(c, i, k)[0] != '\0');
    }
    for (const char *p = cell(c, i, 1); *p != '\0'; p++) {
      non_ascii |= (unsigned char)*p >= 0x80;
      quoted |= *p == ',' || *p == '"';
    }
  }
  if (n >= 1000) {
    assert_true(non_ascii);
    assert_true(quoted); /* names with commas or quotes exercise RFC 4180 quoting */
  }
}

static sub_row *check_subscriptions(const tcsv *s, const long *signup, int64_t n_customers) {
  static const char *const cols[] = {"subscription_id", "customer_id",   "plan",
                                     "billing_interval", "interval_count", "seats",
                                     "unit_price",      "currency",       "discount_percent",
                                     "status",          "start_reason",   "started_at",
                                     "trial_end",       "ended_at"};
  assert_header(s, cols, 14);
  sub_row *rows = calloc(s->n_rows + 1, sizeof *rows);
  assert_non_null(rows);
  long prev_customer = 0;
  for (size_t i = 0; i < s->n_rows; i++) {
    sub_row *r = &rows[i];
    r->id = num(cell(s, i, 0));
    assert_int_equal(r->id, (long)i + 1);
    r->customer = num(cell(s, i, 1));
    assert_true(r->customer >= prev_customer && r->customer >= 1 && r->customer <= n_customers);
    snprintf(r->plan, sizeof r->plan, "%s", cell(s, i, 2));
    snprintf(r->interval, sizeof r->interval, "%s", cell(s, i, 3));
    assert_true(strcmp(r->interval, "month") == 0 || strcmp(r->interval, "year") == 0);
    assert_string_equal(cell(s, i, 4), "1");
    r->seats = num(cell(s, i, 5));
    assert_true(r->seats >= 1);
    r->unit_cents = cents_of(cell(s, i, 6));
    snprintf(r->currency, sizeof r->currency, "%s", cell(s, i, 7));
    r->discount = num(cell(s, i, 8));
    assert_true(r->discount == 0 || r->discount == 10 || r->discount == 20);
    snprintf(r->status, sizeof r->status, "%s", cell(s, i, 9));
    r->start = date_of(cell(s, i, 11));
    r->trial_end = opt_date(cell(s, i, 12));
    r->end = opt_date(cell(s, i, 13));
    assert_true(r->end == -1 || (r->end > r->start && r->end <= DAY_2026_06_30));
    bool open = r->end == -1;
    assert_true(open == (strcmp(r->status, "active") == 0 || strcmp(r->status, "trialing") == 0));
    if (strcmp(r->status, "trialing") == 0) {
      assert_true(r->trial_end > DAY_2026_06_30);
    }
    if (r->customer != prev_customer) {
      /* A customer's first subscription starts on its signup day, with a 14-day trial. */
      assert_int_equal(r->start, signup[r->customer - 1]);
      assert_int_equal(r->trial_end, r->start + 14);
      assert_string_equal(cell(s, i, 10), "new");
    } else {
      const sub_row *p = &rows[i - 1];
      assert_true(p->end != -1 && r->start >= p->end); /* no overlap */
      if (strcmp(p->status, "replaced") == 0) {
        assert_int_equal(r->start, p->end); /* a change continues without a gap */
        assert_string_not_equal(cell(s, i, 10), "reactivation");
      } else {
        assert_string_equal(p->status, "canceled");
        assert_string_equal(cell(s, i, 10), "reactivation");
      }
    }
    prev_customer = r->customer;
  }
  return rows;
}

/* List prices per seat from docs/sample-data.md; annual = 10 x monthly. */
static int64_t list_price(const char *plan, const char *interval, const char *currency) {
  static const struct {
    const char *plan;
    int64_t usd, eur, gbp;
  } prices[] = {{"starter", 1200, 1100, 990},
                {"pro", 2900, 2700, 2400},
                {"business", 5900, 5500, 4900},
                {"enterprise", 9900, 9200, 8200}};
  for (size_t i = 0; i < 4; i++) {
    if (strcmp(prices[i].plan, plan) == 0) {
      int64_t p = strcmp(currency, "USD") == 0   ? prices[i].usd
                  : strcmp(currency, "EUR") == 0 ? prices[i].eur
                                                 : prices[i].gbp;
      return strcmp(interval, "year") == 0 ? 10 * p : p;
    }
  }
  fail_msg("unknown plan %s", plan);
  return 0;
}

static void check_transactions(const tcsv *t, const sub_row *subs, size_t n_subs) {
  static const char *const cols[] = {"transaction_id", "customer_id", "subscription_id",
                                     "timestamp",      "amount",      "currency",
                                     "kind",           "refund_of"};
  assert_header(t, cols, 8);
  int64_t *ts = calloc(t->n_rows + 1, sizeof *ts);
  int64_t *amount = calloc(t->n_rows + 1, sizeof *amount);
  assert_non_null(ts);
  assert_non_null(amount);
  size_t refunds = 0;
  for (size_t i = 0; i < t->n_rows; i++) {
    assert_int_equal(num(cell(t, i, 0)), (long)i + 1);
    long customer = num(cell(t, i, 1));
    long sub = num(cell(t, i, 2));
    assert_true(sub >= 1 && (size_t)sub <= n_subs);
    const sub_row *s = &subs[sub - 1];
    assert_int_equal(s->customer, customer);
    assert_string_equal(cell(t, i, 5), s->currency);
    ts[i] = ts_of(cell(t, i, 3));
    amount[i] = cents_of(cell(t, i, 4));
    assert_true(amount[i] > 0);
    assert_true(ts[i] >= DAY_2023_07_01 * SECONDS_PER_DAY);
    assert_true(ts[i] < (DAY_2026_06_30 + 1) * SECONDS_PER_DAY);
    if (i > 0 && num(cell(t, i - 1, 1)) == customer) {
      assert_true(ts[i] >= ts[i - 1]); /* a customer's transactions in time order */
    }
    long day = (long)(ts[i] / SECONDS_PER_DAY);
    const char *kind = cell(t, i, 6);
    if (strcmp(kind, "charge") == 0) {
      assert_string_equal(cell(t, i, 7), "");
      /* Charged while the subscription runs, after its trial. */
      assert_true(day >= s->start && (s->end == -1 || day < s->end));
      assert_true(s->trial_end == -1 || day >= s->trial_end);
      assert_int_equal(s->unit_cents, list_price(s->plan, s->interval, s->currency));
      int64_t gross = s->seats * s->unit_cents * (100 - s->discount);
      assert_int_equal(amount[i], (gross + 50) / 100);
      continue;
    }
    assert_string_equal(kind, "refund");
    long of = num(cell(t, i, 7));
    assert_true(of >= 1 && (size_t)of <= i);
    assert_string_equal(cell(t, of - 1, 6), "charge");
    assert_int_equal(num(cell(t, of - 1, 1)), customer);
    assert_true(ts[i] > ts[of - 1]);
    assert_true(amount[i] <= amount[of - 1]);
    refunds++;
  }
  assert_true(refunds > 0);
  free(ts);
  free(amount);
}

static void check_events(const tcsv *e, const sub_row *subs, size_t n_subs) {
  static const char *const cols[] = {"event_id", "customer_id", "timestamp", "event", "feature"};
  static const char *const features[] = {"dashboards", "reports", "invoice_automation",
                                         "integrations", "api", "export", "team_management"};
  assert_header(e, cols, 5);
  size_t first_sub = 0;
  int64_t prev_ts = 0;
  long prev_customer = 0;
  for (size_t i = 0; i < e->n_rows; i++) {
    assert_int_equal(num(cell(e, i, 0)), (long)i + 1);
    long customer = num(cell(e, i, 1));
    assert_true(customer >= prev_customer);
    int64_t ts = ts_of(cell(e, i, 2));
    if (customer == prev_customer) {
      assert_true(ts >= prev_ts);
    }
    while (first_sub < n_subs && subs[first_sub].customer < customer) {
      first_sub++;
    }
    /* The event happens while one of the customer's subscriptions runs, in the window. */
    long day = (long)(ts / SECONDS_PER_DAY);
    assert_true(day >= DAY_2023_07_01 && day <= DAY_2026_06_30);
    bool inside = false;
    for (size_t k = first_sub; k < n_subs && subs[k].customer == customer; k++) {
      inside |= day >= subs[k].start && (subs[k].end == -1 || day < subs[k].end);
    }
    assert_true(inside);
    if (strcmp(cell(e, i, 3), "login") == 0) {
      assert_string_equal(cell(e, i, 4), "");
    } else {
      assert_string_equal(cell(e, i, 3), "feature_used");
      bool known = false;
      for (size_t f = 0; f < 7; f++) {
        known |= strcmp(cell(e, i, 4), features[f]) == 0;
      }
      assert_true(known);
    }
    prev_customer = customer;
    prev_ts = ts;
  }
}

static void check_survey(const char *dir, int64_t n) {
  tcsv s;
  tcsv truth;
  tcsv_load(&s, dir, "survey.csv");
  tcsv_load(&truth, dir, "survey_truth.csv");
  assert_int_equal(s.n_rows, n);
  assert_int_equal(truth.n_rows, n);
  assert_int_equal(s.n_cols, 33);
  assert_string_equal(s.cells[16], "att_01");
  assert_string_equal(s.cells[30], "att_15");
  size_t dont_know = 0;
  size_t comments = 0;
  for (size_t i = 0; i < s.n_rows; i++) {
    assert_int_equal(num(cell(&s, i, 0)), (long)i + 1);
    for (size_t k = 16; k <= 31; k++) {
      long v = num(cell(&s, i, k));
      assert_true((v >= 1 && v <= 5) || v == 98);
      dont_know += v == 98;
    }
    comments += cell(&s, i, 32)[0] != '\0';
    long seg = num(cell(&truth, i, 1));
    assert_true(seg >= 1 && seg <= 5);
  }
  assert_true(dont_know > 0);
  assert_true(comments > 0);
  tcsv_free(&s);
  tcsv_free(&truth);
}

static void sample_files_obey_invariants(void **state) {
  (void)state;
  segkit_sample_options o = small_options(3000, 2);
  segkit_sample_summary sum;
  char *dir = generate_into(&o, &sum);
  assert_int_equal(sum.window_start, DAY_2023_07_01);
  assert_int_equal(sum.window_end, DAY_2026_06_30);

  tcsv c;
  tcsv s;
  tcsv t;
  tcsv e;
  tcsv_load(&c, dir, "customers.csv");
  tcsv_load(&s, dir, "subscriptions.csv");
  tcsv_load(&t, dir, "transactions.csv");
  tcsv_load(&e, dir, "events.csv");
  long *signup = calloc(3000, sizeof *signup);
  check_customers(&c, 3000, signup);
  sub_row *subs = check_subscriptions(&s, signup, 3000);
  check_transactions(&t, subs, s.n_rows);
  check_events(&e, subs, s.n_rows);
  check_survey(dir, 600);

  /* The summary counts what is in the files. */
  assert_int_equal(sum.rows[SEGKIT_SAMPLE_CUSTOMERS], c.n_rows);
  assert_int_equal(sum.rows[SEGKIT_SAMPLE_SUBSCRIPTIONS], s.n_rows);
  assert_int_equal(sum.rows[SEGKIT_SAMPLE_TRANSACTIONS], t.n_rows);
  assert_int_equal(sum.rows[SEGKIT_SAMPLE_EVENTS], e.n_rows);
  for (int f = 0; f < SEGKIT_SAMPLE_FILE_COUNT; f++) {
    char *path = tu_path_join(dir, segkit_sample_file_name((segkit_sample_file)f));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sum.bytes[f], sb.st_size);
    assert_int_equal(sum.dirty_rows[f], 0);
    free(path);
  }
  /* About 20 transactions per customer (documented calibration), not an exact figure. */
  double per_customer = (double)t.n_rows / 3000.0;
  assert_true(per_customer > 16.0 && per_customer < 24.0);

  free(signup);
  free(subs);
  tcsv_free(&c);
  tcsv_free(&s);
  tcsv_free(&t);
  tcsv_free(&e);
  tu_rmtree(dir);
  free(dir);
}

/* ==== tests: determinism ================================================================== */

static void sample_thread_count_does_not_change_bytes(void **state) {
  (void)state;
  /* 4500 customers are five chunks, so threads really interleave. */
  segkit_sample_options o = small_options(4500, 1);
  segkit_sample_summary sum;
  char *one = generate_into(&o, &sum);
  o.n_threads = 2;
  char *two = generate_into(&o, &sum);
  o.n_threads = 3;
  char *three = generate_into(&o, &sum);
  char *again = generate_into(&o, &sum);
  for (int f = 0; f < SEGKIT_SAMPLE_FILE_COUNT; f++) {
    const char *name = segkit_sample_file_name((segkit_sample_file)f);
    assert_same_file(one, two, name);
    assert_same_file(one, three, name);
    assert_same_file(three, again, name);
  }
  char *dirs[] = {one, two, three, again};
  for (size_t i = 0; i < 4; i++) {
    tu_rmtree(dirs[i]);
    free(dirs[i]);
  }
}

static void sample_seed_and_knobs_change_what_they_should(void **state) {
  (void)state;
  segkit_sample_options o = small_options(1500, 2);
  segkit_sample_summary base_sum;
  segkit_sample_summary sum;
  char *base = generate_into(&o, &base_sum);
  o.seed = 43;
  char *seeded = generate_into(&o, &sum);
  o.seed = 42;
  o.events_per_month = 3.0;
  char *busy = generate_into(&o, &sum);
  o.events_per_month = 0.0;
  char *quiet = generate_into(&o, &sum);

  assert_false(same_file(base, seeded, "transactions.csv"));
  assert_false(same_file(base, seeded, "survey.csv"));
  /* The events knob changes events.csv only. */
  assert_true(same_file(base, busy, "customers.csv"));
  assert_true(same_file(base, busy, "subscriptions.csv"));
  assert_true(same_file(base, busy, "transactions.csv"));
  assert_false(same_file(base, busy, "events.csv"));
  assert_true(sum.rows[SEGKIT_SAMPLE_EVENTS] == 0);
  assert_true(same_file(base, quiet, "transactions.csv"));
  char *dirs[] = {base, seeded, busy, quiet};
  for (size_t i = 0; i < 4; i++) {
    tu_rmtree(dirs[i]);
    free(dirs[i]);
  }
}

/* ==== tests: dirty rows ==================================================================== */

static size_t count_lines(const char *data) {
  size_t n = 0;
  for (const char *p = data; *p != '\0'; p++) {
    n += *p == '\n';
  }
  return n;
}

static void sample_dirty_adds_bad_rows_and_keeps_clean_ones(void **state) {
  (void)state;
  segkit_sample_options o = small_options(2000, 2);
  segkit_sample_summary clean_sum;
  segkit_sample_summary sum;
  char *clean = generate_into(&o, &clean_sum);
  o.dirty = true;
  o.dirty_share = 0.01;
  char *dirty = generate_into(&o, &sum);

  /* Same history: the number of subscriptions and charges does not change. */
  assert_int_equal(sum.rows[SEGKIT_SAMPLE_SUBSCRIPTIONS], clean_sum.rows[SEGKIT_SAMPLE_SUBSCRIPTIONS]);
  for (int f = 0; f < 4; f++) {
    assert_true(sum.dirty_rows[f] > 0);
  }
  assert_true(same_file(clean, dirty, "survey.csv"));

  /* Customers: ids with duplicates dropped are 1..n, and malformed dates appear. */
  size_t size = 0;
  char *data = read_named(dirty, "customers.csv", &size);
  tcsv c;
  tcsv_parse(&c, data, size);
  assert_int_equal(c.bad_line, 0);
  long expect = 1;
  size_t dups = 0;
  size_t bad_dates = 0;
  for (size_t i = 0; i < c.n_rows; i++) {
    long id = num(cell(&c, i, 0));
    if (id == expect - 1) {
      dups++;
      continue;
    }
    assert_int_equal(id, expect);
    expect++;
    const char *d = cell(&c, i, 2);
    bool iso = strlen(d) == 10 && d[4] == '-' && d[7] == '-' && digits(d + 5, 2) >= 1 &&
               digits(d + 5, 2) <= 12 && digits(d + 8, 2) >= 1 &&
               digits(d + 8, 2) <= month_length(digits(d, 4), digits(d + 5, 2));
    bad_dates += !iso;
  }
  assert_int_equal(expect - 1, 2000);
  assert_true(dups > 0);
  assert_true(bad_dates > 0);
  assert_int_equal(dups + bad_dates, sum.dirty_rows[SEGKIT_SAMPLE_CUSTOMERS]);
  tcsv_free(&c);

  /* Transactions: negative amounts and repeated ids. */
  data = read_named(dirty, "transactions.csv", &size);
  tcsv t;
  tcsv_parse(&t, data, size);
  assert_int_equal(t.bad_line, 0);
  size_t negative = 0;
  size_t repeated = 0;
  for (size_t i = 0; i < t.n_rows; i++) {
    negative += cell(&t, i, 4)[0] == '-';
    repeated += i > 0 && strcmp(cell(&t, i, 0), cell(&t, i - 1, 0)) == 0;
  }
  assert_true(negative > 0);
  assert_true(repeated > 0);
  assert_int_equal(t.n_rows, sum.rows[SEGKIT_SAMPLE_TRANSACTIONS]);
  tcsv_free(&t);

  /* Subscriptions: the only changed lines are the ones that end before they start. */
  char *a = read_named(clean, "subscriptions.csv", &size);
  char *b = read_named(dirty, "subscriptions.csv", &size);
  assert_int_equal(count_lines(a), count_lines(b));
  size_t differing = 0;
  char *sa = NULL;
  char *sb = NULL;
  char *la = strtok_r(a, "\n", &sa);
  char *lb = strtok_r(b, "\n", &sb);
  while (la != NULL && lb != NULL) {
    differing += strcmp(la, lb) != 0;
    la = strtok_r(NULL, "\n", &sa);
    lb = strtok_r(NULL, "\n", &sb);
  }
  assert_int_equal(differing, sum.dirty_rows[SEGKIT_SAMPLE_SUBSCRIPTIONS]);
  free(a);
  free(b);
  tu_rmtree(clean);
  tu_rmtree(dirty);
  free(clean);
  free(dirty);
}

/* ==== tests: edges and failures ============================================================ */

static void sample_zero_rows_write_headers_only(void **state) {
  (void)state;
  segkit_sample_options o = small_options(0, 0);
  o.n_respondents = 0;
  segkit_sample_summary sum;
  char *dir = generate_into(&o, &sum);
  static const char *const csv_files[] = {"customers.csv",    "subscriptions.csv",
                                          "transactions.csv", "events.csv",
                                          "survey.csv",       "survey_truth.csv",
                                          "customer_survey.csv"};
  for (size_t i = 0; i < sizeof csv_files / sizeof csv_files[0]; i++) {
    size_t size = 0;
    char *data = read_named(dir, csv_files[i], &size);
    assert_int_equal(count_lines(data), 1);
    free(data);
  }
  for (int f = 0; f < SEGKIT_SAMPLE_FILE_COUNT; f++) {
    if (f != SEGKIT_SAMPLE_SURVEY_CODEBOOK && f != SEGKIT_SAMPLE_SURVEY_MARGINS) {
      assert_int_equal(sum.rows[f], 0);
    }
  }
  assert_true(sum.rows[SEGKIT_SAMPLE_SURVEY_CODEBOOK] > 15); /* the questions still exist */
  /* so do the market's margins: 5 company sizes and 7 regions, shares summing to 1 each */
  assert_int_equal(sum.rows[SEGKIT_SAMPLE_SURVEY_MARGINS], 12);
  tu_rmtree(dir);
  free(dir);
}

static void sample_unwritable_file_is_named(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  /* A directory where the temporary transactions file should go makes its fopen fail. */
  char *blocker = tu_path_join(dir, "transactions.csv.tmp");
  assert_int_equal(mkdir(blocker, 0700), 0);
  segkit_sample_options o = small_options(100, 1);
  segkit_error err;
  segkit_sample_summary sum;
  memset(&sum, 0x5A, sizeof sum);
  segkit_status st = segkit_sample_generate(dir, &o, &sum, &err);
  assert_int_equal(st, SEGKIT_ERR_IO);
  char *expect = tu_path_join(dir, "transactions.csv");
  assert_string_equal(err.file, expect);
  assert_int_equal(sum.rows[0], 0x5A5A5A5A5A5A5A5A); /* not written on failure */
  /* Nothing else is left behind: no final files, no other temporary files. */
  for (int f = 0; f < SEGKIT_SAMPLE_FILE_COUNT; f++) {
    char *path = tu_path_join(dir, segkit_sample_file_name((segkit_sample_file)f));
    struct stat sb;
    assert_int_not_equal(stat(path, &sb), 0);
    free(path);
  }
  char *tmp = tu_path_join(dir, "customers.csv.tmp");
  struct stat sb;
  assert_int_not_equal(stat(tmp, &sb), 0);
  free(tmp);
  free(expect);
  free(blocker);

  /* An output directory whose parent does not exist is named too. */
  char *missing = tu_path_join(dir, "no/such/dir");
  st = segkit_sample_generate(missing, &o, NULL, &err);
  assert_int_equal(st, SEGKIT_ERR_IO);
  assert_string_equal(err.file, missing);
  free(missing);
  tu_rmtree(dir);
  free(dir);
}

static void sample_window_follows_end_date(void **state) {
  (void)state;
  segkit_sample_options o = small_options(800, 2);
  o.end_date = 19782; /* 2024-02-29, from Python's datetime */
  o.months = 12;
  segkit_sample_summary sum;
  char *dir = generate_into(&o, &sum);
  assert_int_equal(sum.window_start, 19417); /* 2023-03-01 */
  assert_int_equal(sum.window_end, 19782);
  tcsv t;
  tcsv_load(&t, dir, "transactions.csv");
  for (size_t i = 0; i < t.n_rows; i++) {
    int64_t ts = ts_of(cell(&t, i, 3));
    assert_true(ts >= INT64_C(19417) * SECONDS_PER_DAY && ts < INT64_C(19783) * SECONDS_PER_DAY);
  }
  assert_true(t.n_rows > 0);
  tcsv_free(&t);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sample_options_defaults),
      cmocka_unit_test(sample_options_out_of_range),
      cmocka_unit_test(sample_files_obey_invariants),
      cmocka_unit_test(sample_thread_count_does_not_change_bytes),
      cmocka_unit_test(sample_seed_and_knobs_change_what_they_should),
      cmocka_unit_test(sample_dirty_adds_bad_rows_and_keeps_clean_ones),
      cmocka_unit_test(sample_zero_rows_write_headers_only),
      cmocka_unit_test(sample_unwritable_file_is_named),
      cmocka_unit_test(sample_window_follows_end_date),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
