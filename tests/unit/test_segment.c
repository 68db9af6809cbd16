/* Rule evaluation on hand-made tables: every operator and function, SQL's three-valued
 * logic, dates and durations, aggregates over linked tables with and without where and
 * windows, used(), in_segment(), and thread-count independence. Every expected member list
 * was worked out by hand from the tables below (reasoning in the comments where it is not
 * obvious); now() is fixed at 2025-06-01T00:00:00Z. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "segment_testkit.h"

enum { N_CUST = 6 };

static const char *const cust_names[] = {"id",   "plan",      "mrr",   "seats", "active",
                                         "signup", "last_seen", "email", "ph.ecog"};
static const segkit_type cust_types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_FLOAT64,
                                         SEGKIT_TYPE_INT64, SEGKIT_TYPE_BOOL,   SEGKIT_TYPE_DATE,
                                         SEGKIT_TYPE_TIMESTAMP, SEGKIT_TYPE_STRING, SEGKIT_TYPE_INT64};
static const char *const cust_cells[] = {
    "1", "pro",        "100",   "5",  "true",  "2025-01-31", "2025-05-30T12:00:00Z", "a@x.com",   "0",
    "2", "basic",      "20.5",  "1",  "false", "2024-06-15", "2025-01-01T00:00:00Z", "B@Y.ORG",   "1",
    "3", "pro",        NULL,    "3",  "true",  NULL,         NULL,                   NULL,        "2",
    "4", NULL,         "0",     NULL, NULL,    "2025-03-01", "2025-05-31T23:00:00Z", "c@x.com",   NULL,
    "5", "Enterprise", "1000",  "50", "true",  "2023-01-01", "2024-12-31T23:59:59Z", "d@acme.io", "1",
    "6", "pro",        "99.99", "-2", "false", "2025-02-28", "2025-05-01T00:00:00Z", "e@x.com",   "0",
};

static const char *const ev_names[] = {"customer_id", "name", "ts", "feature"};
static const segkit_type ev_types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_TIMESTAMP,
                                       SEGKIT_TYPE_STRING};
static const char *const ev_cells[] = {
    "1",  "login", "2025-05-25T00:00:00Z", NULL,
    "1",  "login", "2025-04-01T00:00:00Z", NULL,
    "1",  "use",   "2025-02-10T00:00:00Z", "invoice_automation",
    "2",  "login", "2025-05-30T00:00:00Z", NULL,
    "2",  "use",   "2025-03-01T00:00:00Z", "invoice_automation",
    "5",  "use",   "2023-01-15T00:00:00Z", "export",
    "99", "login", "2025-05-31T00:00:00Z", NULL, /* unknown customer: nobody's */
    NULL, "login", "2025-05-31T00:00:00Z", NULL, /* null customer: nobody's */
    "6",  "login", NULL,                   NULL,
    "6",  "use",   "2025-03-29T00:00:00Z", "invoice_automation",
};

static const char *const tx_names[] = {"customer_id", "amount", "kind", "day"};
static const segkit_type tx_types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING,
                                       SEGKIT_TYPE_DATE};
static const char *const tx_cells[] = {
    "1", "100", "charge", "2025-05-01",
    "1", "50",  "charge", "2025-01-01",
    "1", "-20", "refund", "2025-05-10",
    "2", "10",  "charge", "2025-05-31",
    "3", NULL,  "charge", "2025-05-20",
    "5", "600", "charge", "2025-03-15",
    "5", "1.5", "charge", "2025-06-02", /* after now: outside every window */
    "6", "7",   NULL,     "2025-04-01",
};

typedef struct fixture {
  segkit_table *cust, *ev, *tx;
  segkit_rule_env *env;
  segkit_link_index *ix_ev, *ix_tx; /* setup_indexed: the links' prebuilt indexes */
} fixture;

static int setup_with(void **state, bool indexed) {
  fixture *f = calloc(1, sizeof *f);
  f->cust = sgt_table(9, cust_names, cust_types, N_CUST, cust_cells);
  f->ev = sgt_table(4, ev_names, ev_types, 10, ev_cells);
  f->tx = sgt_table(4, tx_names, tx_types, 8, tx_cells);
  assert_non_null(f->cust);
  assert_non_null(f->ev);
  assert_non_null(f->tx);
  int64_t now = 0;
  assert_true(segkit_parse_timestamp("2025-06-01T00:00:00Z", 20, &now));
  segkit_error err;
  assert_int_equal(segkit_rule_env_new(f->cust, "id", now, &f->env, &err), SEGKIT_OK);
  if (indexed) {
    /* As a server does: the grouping built once, lent to the environment. */
    assert_int_equal(segkit_link_index_new(f->env, f->ev, "customer_id", &f->ix_ev, &err),
                     SEGKIT_OK);
    assert_int_equal(segkit_link_index_new(f->env, f->tx, "customer_id", &f->ix_tx, &err),
                     SEGKIT_OK);
    assert_true(segkit_link_index_memory_bytes(f->ix_tx) >= (N_CUST + 1) * 8 + 8 * 8);
    assert_int_equal(
        segkit_rule_env_link_indexed(f->env, "events", f->ev, "customer_id", "ts", f->ix_ev, &err),
        SEGKIT_OK);
    /* an index of another table is refused */
    assert_int_equal(segkit_rule_env_link_indexed(f->env, "transactions", f->tx, "customer_id",
                                                  "day", f->ix_ev, &err),
                     SEGKIT_ERR_USAGE);
    assert_int_equal(segkit_rule_env_link_indexed(f->env, "transactions", f->tx, "customer_id",
                                                  "day", f->ix_tx, &err),
                     SEGKIT_OK);
  } else {
    assert_int_equal(segkit_rule_env_link(f->env, "events", f->ev, "customer_id", "ts", &err),
                     SEGKIT_OK);
    assert_int_equal(
        segkit_rule_env_link(f->env, "transactions", f->tx, "customer_id", "day", &err), SEGKIT_OK);
  }
  uint64_t vip = (1u << 0) | (1u << 1) | (1u << 4);
  assert_int_equal(segkit_rule_env_add_segment(f->env, "vip", &vip, &err), SEGKIT_OK);
  *state = f;
  return 0;
}

static int setup(void **state) { return setup_with(state, false); }
static int setup_indexed(void **state) { return setup_with(state, true); }

static int teardown(void **state) {
  fixture *f = *state;
  segkit_rule_env_free(f->env);
  segkit_link_index_free(f->ix_ev); /* after the environment that borrowed them */
  segkit_link_index_free(f->ix_tx);
  segkit_table_free(f->cust);
  segkit_table_free(f->ev);
  segkit_table_free(f->tx);
  free(f);
  return 0;
}

typedef struct rule_case {
  const char *rule;
  const char *members;
} rule_case;

static void run_cases(const fixture *f, const rule_case *cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    segkit_rule *rule = NULL;
    segkit_error err;
    segkit_rule_diag diag;
    segkit_status s = segkit_rule_compile(f->env, cases[i].rule, &rule, &diag, &err);
    if (s != SEGKIT_OK) {
      fail_msg("%s: %s", cases[i].rule, err.message);
    }
    char got[256];
    for (int threads = 1; threads <= 3; threads++) {
      s = sgt_members(rule, f->env, N_CUST, threads, got, sizeof got, &err);
      if (s != SEGKIT_OK) {
        fail_msg("%s: eval %s", cases[i].rule, err.message);
      }
      if (strcmp(got, cases[i].members) != 0) {
        fail_msg("%s: members {%s}, expected {%s}", cases[i].rule, got, cases[i].members);
      }
    }
    segkit_rule_free(rule);
  }
}

static void segment_eval_comparisons_and_logic(void **state) {
  static const rule_case cases[] = {
      {"plan == \"pro\"", "1,3,6"},
      {"plan = \"pro\"", "1,3,6"},
      {"plan != \"pro\"", "2,5"}, /* null plan: unknown, not a member */
      {"plan <> \"pro\"", "2,5"},
      {"not (plan == \"pro\")", "2,5"},
      {"\"pro\" == plan", "1,3,6"},
      {"plan > \"b\"", "1,2,3,6"}, /* byte order: "Enterprise" < "b" */
      {"plan == \"pro\" or seats > 10", "1,3,5,6"},
      {"mrr > 50", "1,5,6"},
      {"mrr > 50 or mrr is null", "1,3,5,6"},
      {"50 < mrr", "1,5,6"},
      {"mrr >= 100", "1,5"},
      {"seats in (1, 3, 50)", "2,3,5"},
      {"seats not in (1, 3)", "1,5,6"},
      {"seats not in (1, null)", ""}, /* x not in (.., null) is never true */
      {"seats in (5, null)", "1"},
      {"seats in (5.0, 1.5)", "1"},
      {"seats in (id - 2, 50)", "5"},        /* a list of expressions, not constants */
      {"seats in (id + 4, null)", "1"},
      {"seats not in (id + 4, 3)", "2,5,6"}, /* row 3: 3 is listed; row 4: null */
      {"active in (true)", "1,3,5"},
      {"lower(plan) in (\"pro\", \"enterprise\")", "1,3,5,6"},
      {"plan in (\"pro\", \"basic\")", "1,2,3,6"},
      {"plan not in (\"pro\", null)", ""},
      {"lower(plan) in (\"enterprise\")", "5"},
      {"seats between 1 and 5", "1,2,3"},
      {"seats not between 1 and 5", "5,6"},
      {"mrr between 20.5 and 100", "1,2,6"},
      {"active", "1,3,5"},
      {"not active", "2,6"},
      {"active == false", "2,6"},
      {"active is null", "4"},
      {"plan is null or seats is null", "4"},
      {"seats is not null and mrr is not null", "1,2,5,6"},
      {"active or seats > 10", "1,3,5"},
      {"not active or plan is null", "2,4,6"}, /* row 4: null or true = true */
      {"(plan == \"pro\") == active", "1,2,3"},
      {"true", "1,2,3,4,5,6"},
      {"false", ""},
      {"null", ""},
      {"null == 1", ""},
      {"not null", ""},
      {"null or true", "1,2,3,4,5,6"},
      {"null and false or id == 2", "2"},
      {"`plan` == \"pro\"", "1,3,6"},
      {"`ph.ecog` >= 1", "2,3,5"},
      {"id == 1 # a comment\n or id == 2", "1,2"},
      {"id == 1 OR id == 2 AND NOT false", "1,2"}, /* keywords in any case */
      {"id == 1 or id == 2 and id == 3", "1"},      /* and binds tighter than or */
  };
  run_cases(*state, cases, sizeof cases / sizeof cases[0]);
}

static void segment_eval_arithmetic(void **state) {
  static const rule_case cases[] = {
      {"seats * 2 + 1 > 10", "1,5"},
      {"seats / 2 == 1", "3"},           /* integer division truncates: 3 / 2 = 1 */
      {"seats / 0 is null", "1,2,3,4,5,6"}, /* division by zero is null */
      {"mrr / 0.0 is null", "1,2,3,4,5,6"},
      {"mrr / 2 > 49.99", "1,5,6"},      /* 99.99 / 2 = 49.995 */
      {"-seats > 0", "6"},
      {"- -seats == 5", "1"},
      {"seats - 1 == 0", "2"},
      {"seats + mrr > 100", "1,5"},      /* 105, 21.5, null, null, 1050, 97.99 */
      {"abs(seats) == 2", "6"},
      {"abs(mrr - 100) < 1", "1,6"},
      {"round(mrr) == 100", "1,6"},
      {"round(mrr, 1) == 20.5", "2"},
      {"round(seats) == 5", "1"},
      {"9223372036854775807 + seats > 0", "6"}, /* overflow is null; only -2 fits */
      {"coalesce(seats, 0) == 0", "4"},
      {"coalesce(mrr, seats) > 2", "1,2,3,5,6"},
      {"coalesce(null, plan, \"none\") == \"none\"", "4"},
      {"2 * 3 == 6 and 7 / 2 == 3 and 1.5 * 2 == 3", "1,2,3,4,5,6"},
      {"-7 / 2 == -3 and 7 / 2.0 == 3.5", "1,2,3,4,5,6"},          /* truncation toward zero */
      {"round(2.5) == 3 and round(-2.5) == -3 and round(0.125, 2) == 0.13", "1,2,3,4,5,6"},
  };
  run_cases(*state, cases, sizeof cases / sizeof cases[0]);
}

static void segment_eval_strings(void **state) {
  static const rule_case cases[] = {
      {"starts_with(email, \"a@\")", "1"},
      {"ends_with(email, \"@x.com\")", "1,4,6"},
      {"contains(email, \"acme\")", "5"},
      {"contains(email, \"\")", "1,2,4,5,6"}, /* every string contains "", null does not */
      {"not contains(email, \"x\")", "2,5"},
      {"lower(email) == \"b@y.org\"", "2"},
      {"upper(plan) == \"PRO\"", "1,3,6"},
      {"length(plan) == 3", "1,3,6"},
      {"length(\"d\\tj\") == 3", "1,2,3,4,5,6"},
      {"length(\"d\xc3\xa9j\") == 3", "1,2,3,4,5,6"}, /* code points, not bytes */
      {"matches(email, \"^[a-c]@\")", "1,4"},
      {"matches(email, \"^[a-c]@\") == false", "2,5,6"},
      {"matches(lower(email), \"^[a-c]@\")", "1,2,4"},
      {"starts_with(plan, lower(\"P\"))", "1,3,6"},
      {"\"a\\\"b\" == \"a\\\"b\" and \"\\\\\" != \"\\n\"", "1,2,3,4,5,6"},
  };
  run_cases(*state, cases, sizeof cases / sizeof cases[0]);
}

static void segment_eval_dates(void **state) {
  static const rule_case cases[] = {
      {"signup < date(\"2025-01-01\")", "2,5"},
      {"signup >= date(\"2025-02-28\")", "4,6"},
      {"year(signup) == 2025", "1,4,6"},
      {"month(signup) == 2", "6"},
      {"year(last_seen) == 2024", "5"},
      /* now's date is 2025-06-01: 121, 351, -, 92, 883, 93 days */
      {"days_since(signup) > 100", "1,2,5"},
      {"days_since(signup) == 121", "1"},
      /* floor of elapsed days: 1.5 -> 1, 1 hour -> 0 */
      {"days_since(last_seen) < 1", "4"},
      {"days_since(last_seen) == 1", "1"},
      {"last_seen > now() - 14d", "1,4"},
      {"last_seen > now() - 2w", "1,4"},
      {"last_seen >= now() - 24h", "4"},
      {"last_seen >= now() - 60min", "4"},
      {"last_seen >= now() - 3600s", "4"},
      /* calendar months clamp to the month's end */
      {"signup + 1mo == date(\"2025-02-28\")", "1"},
      {"signup - 1mo == date(\"2024-12-31\")", "1"},
      {"signup + 2y > date(\"2026-01-01\")", "1,2,4,6"},
      {"date(\"2024-02-29\") + 1y == date(\"2025-02-28\") and days_since(now() + 1d) == -1",
       "1,2,3,4,5,6"},
      {"last_seen + 1mo <= timestamp(\"2025-02-01T00:00:00Z\")", "2,5"},
      /* date + exact duration is a timestamp at midnight UTC */
      {"signup + 30d > timestamp(\"2025-03-30T00:00:00Z\")", "4"},
      {"30d + signup > timestamp(\"2025-03-30T00:00:00Z\")", "4"},
      {"date(\"2025-06-01\") - signup > 120d", "1,2,5"},
      {"now() - last_seen < 1d", "4"},
      {"last_seen - signup < 100d", "4,6"}, /* 119.5, 200, -, 91.96, 730, 62 days */
      {"signup < last_seen", "1,2,4,5,6"},
      {"signup == timestamp(\"2025-01-31T00:00:00Z\")", "1"},
      {"signup between date(\"2025-01-01\") and date(\"2025-02-28\")", "1,6"},
      {"last_seen in (timestamp(\"2025-05-01T00:00:00Z\"), date(\"2025-01-01\"))", "2,6"},
      {"14d > 2w or 1d == 24h", "1,2,3,4,5,6"},
      {"-1d < 0s", "1,2,3,4,5,6"},
      {"coalesce(signup, last_seen) is null", "3"},
  };
  run_cases(*state, cases, sizeof cases / sizeof cases[0]);
}

static void segment_eval_aggregates(void **state) {
  static const rule_case cases[] = {
      {"count(events) == 0", "3,4"},
      {"count(events) == 3", "1"},
      {"count(events where name == \"login\") >= 1", "1,2,6"},
      /* ts > 2025-05-18: row 1 (05-25), row 2 (05-30); row 6's login has a null time */
      {"count(events where name == \"login\" and ts > now() - 14d) == 0", "3,4,5,6"},
      {"count(events where name == \"login\", last 14d) == 1", "1,2"},
      {"sum(transactions.amount) > 100", "1,5"},         /* 130, 10, null, null, 601.5, 7 */
      {"sum(transactions.amount) is null", "3,4"},
      {"sum(transactions.amount where kind == \"charge\", last 90d) > 90", "1,5"},
      {"coalesce(sum(transactions.amount, last 90d), 0) == 0", "3,4"},
      {"sum(transactions.amount, last 90d) == 80", "1"}, /* 100 - 20: 01-01 is outside */
      {"avg(transactions.amount) > 40", "1,5"},          /* 43.3, 10, -, -, 300.75, 7 */
      {"min(transactions.amount) < 0", "1"},
      {"max(transactions.day) > date(\"2025-05-30\")", "2,5"},
      {"max(transactions.amount where kind == \"charge\") == 600", "5"},
      {"days_since(last(events.ts)) <= 7", "1,2"},
      {"first(events.ts) < date(\"2025-03-01\")", "1,5"},
      {"last(transactions.amount) < 0", "1"},    /* latest day 05-10: -20 */
      {"last(transactions.amount) == 1.5", "5"}, /* no window: the future row counts */
      {"first(transactions.amount) == 50", "1"},
      {"exists(events where feature == \"invoice_automation\")", "1,2,6"},
      {"not exists(events)", "3,4"},
      {"count(transactions.amount) == 0", "3,4"},
      {"count(transactions where kind is null) == 1", "6"},
      {"used(\"invoice_automation\", within 30d of signup)", "1,6"},
      {"used(\"invoice_automation\")", "1,2,6"},
      {"used(\"invoice_automation\", last 90d)", "6"},
      {"used(\"export\")", "5"},
      /* where may read customer fields: 100 >= 100 for row 1 */
      {"exists(transactions where amount >= mrr)", "1"},
      {"count(events where ts > timestamp(\"2025-05-01T00:00:00Z\") and lower(name) == \"login\") > 0",
       "1,2"},
  };
  run_cases(*state, cases, sizeof cases / sizeof cases[0]);
}

static void segment_eval_in_segment(void **state) {
  static const rule_case cases[] = {
      {"in_segment(\"vip\")", "1,2,5"},
      {"in_segment(\"vip\") and plan == \"pro\"", "1"},
      {"not in_segment(\"vip\")", "3,4,6"},
  };
  fixture *f = *state;
  run_cases(f, cases, 3);
  segkit_rule *rule = NULL;
  segkit_error err;
  assert_int_equal(segkit_rule_compile(f->env, "in_segment(\"vip\") or in_segment(\"later\") or in_segment(\"vip\")",
                                       &rule, NULL, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_rule_n_segment_refs(rule), 2);
  assert_string_equal(segkit_rule_segment_ref(rule, 0), "vip");
  assert_string_equal(segkit_rule_segment_ref(rule, 1), "later");
  assert_null(segkit_rule_segment_ref(rule, 2));
  uint64_t bits = 0;
  size_t count = 0;
  assert_int_equal(segkit_rule_eval(rule, f->env, 1, &bits, &count, &err), SEGKIT_ERR_NOT_FOUND);
  assert_string_equal(err.message, "in_segment(\"later\"): no such segment in the environment");
  segkit_rule_free(rule);
}

static void segment_env_errors(void **state) {
  fixture *f = *state;
  segkit_rule_env *env = NULL;
  segkit_error err;
  assert_int_equal(segkit_rule_env_new(f->cust, "nope", 0, &env, &err), SEGKIT_ERR_NOT_FOUND);
  assert_int_equal(segkit_rule_env_new(f->cust, "mrr", 0, &env, &err), SEGKIT_ERR_SCHEMA);
  /* a repeated key */
  assert_int_equal(segkit_rule_env_new(f->tx, "customer_id", 0, &env, &err), SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.message, "customer key 1 repeats at row 2 (expected unique keys)");
  assert_null(env);
  assert_int_equal(segkit_rule_env_link(f->env, "events", f->ev, "customer_id", "ts", &err),
                   SEGKIT_ERR_EXISTS);
  assert_int_equal(segkit_rule_env_link(f->env, "ev2", f->ev, "name", NULL, &err), SEGKIT_ERR_SCHEMA);
  assert_int_equal(segkit_rule_env_link(f->env, "ev2", f->ev, "customer_id", "name", &err),
                   SEGKIT_ERR_SCHEMA);
  assert_int_equal(segkit_rule_env_link(f->env, "ev2", f->ev, "who", NULL, &err), SEGKIT_ERR_NOT_FOUND);
  uint64_t bits = 1;
  assert_int_equal(segkit_rule_env_add_segment(f->env, "vip", &bits, &err), SEGKIT_ERR_EXISTS);
  segkit_rule_env_free(NULL);
  segkit_rule_free(NULL);
}

/* String keys: the link maps the two dictionaries. */
static void segment_string_keys(void **state) {
  (void)state;
  static const char *const cn[] = {"key", "tier"};
  static const segkit_type ct[] = {SEGKIT_TYPE_STRING, SEGKIT_TYPE_INT64};
  static const char *const cc[] = {"cus_a", "1", "cus_b", "2", NULL, "3", "cus_c", "4"};
  static const char *const fn[] = {"who", "v"};
  static const segkit_type ft[] = {SEGKIT_TYPE_STRING, SEGKIT_TYPE_INT64};
  static const char *const fc[] = {"cus_c", "5", "cus_x", "7", "cus_a", "1", "cus_c", "2", NULL, "9"};
  segkit_table *c = sgt_table(2, cn, ct, 4, cc);
  segkit_table *t = sgt_table(2, fn, ft, 5, fc);
  segkit_rule_env *env = NULL;
  segkit_error err;
  assert_int_equal(segkit_rule_env_new(c, "key", 0, &env, &err), SEGKIT_OK);
  assert_int_equal(segkit_rule_env_link(env, "f", t, "who", NULL, &err), SEGKIT_OK);
  segkit_rule *rule = NULL;
  assert_int_equal(segkit_rule_compile(env, "sum(f.v) >= 1", &rule, NULL, &err), SEGKIT_OK);
  char got[64];
  assert_int_equal(sgt_members(rule, env, 4, 1, got, sizeof got, &err), SEGKIT_OK);
  assert_string_equal(got, "1,4"); /* cus_a: 1; cus_c: 5 + 2 */
  segkit_rule_free(rule);
  segkit_rule_env_free(env);
  /* the same through a prebuilt index (string keys: a map between the dictionaries) */
  segkit_link_index *ix = NULL;
  assert_int_equal(segkit_rule_env_new(c, "key", 0, &env, &err), SEGKIT_OK);
  assert_int_equal(segkit_link_index_new(env, t, "who", &ix, &err), SEGKIT_OK);
  assert_int_equal(segkit_rule_env_link_indexed(env, "f", t, "who", NULL, ix, &err), SEGKIT_OK);
  assert_int_equal(segkit_rule_compile(env, "sum(f.v) >= 1", &rule, NULL, &err), SEGKIT_OK);
  assert_int_equal(sgt_members(rule, env, 4, 1, got, sizeof got, &err), SEGKIT_OK);
  assert_string_equal(got, "1,4");
  segkit_rule_free(rule);
  segkit_rule_env_free(env);
  segkit_link_index_free(ix);
  static const char *const dup[] = {"k", "1", "k", "2"};
  segkit_table *d = sgt_table(2, cn, ct, 2, dup);
  assert_int_equal(segkit_rule_env_new(d, "key", 0, &env, &err), SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.message, "customer key \"k\" repeats at row 2 (expected unique keys)");
  segkit_table_free(d);
  segkit_table_free(c);
  segkit_table_free(t);
}

/* Conditions on one string column of a table much longer than its dictionary are folded
 * into a lookup by code (compile.c); the null row has its own entry. Expected members are
 * closed forms in i (plan is word i % 5, the fifth being null). */
static void segment_dictionary_folding(void **state) {
  (void)state;
  enum { N = 1000 };
  static const char *const words[] = {"pro", "Basic", "team", "premium"};
  static const char *const names[] = {"id", "plan"};
  static const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING};
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(2, names, types, &b, NULL), SEGKIT_OK);
  for (int64_t i = 0; i < N; i++) {
    segkit_column_append_int64(segkit_table_builder_column(b, 0), i);
    if (i % 5 == 4) {
      segkit_column_append_null(segkit_table_builder_column(b, 1));
    } else {
      const char *w = words[i % 5];
      segkit_column_append_string(segkit_table_builder_column(b, 1), w, strlen(w));
    }
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, NULL), SEGKIT_OK);
  segkit_rule_env *env = NULL;
  segkit_error err;
  assert_int_equal(segkit_rule_env_new(t, "id", 0, &env, &err), SEGKIT_OK);
  static const struct {
    const char *rule;
    unsigned mask; /* bit k: rows with i % 5 == k are members */
  } cases[] = {
      {"matches(plan, \"^p\")", 1u | 8u},
      {"coalesce(plan, \"none\") == \"none\"", 16u},
      {"lower(plan) in (\"basic\", \"team\")", 2u | 4u},
      {"not starts_with(plan, \"p\")", 2u | 4u},
      {"plan is null or length(plan) > 4", 2u | 8u | 16u},
      {"not (plan == \"pro\")", 2u | 4u | 8u},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    segkit_rule *rule = NULL;
    assert_int_equal(segkit_rule_compile(env, cases[c].rule, &rule, NULL, &err), SEGKIT_OK);
    uint64_t bits[(N + 63) / 64];
    size_t count = 0;
    assert_int_equal(segkit_rule_eval(rule, env, 2, bits, &count, &err), SEGKIT_OK);
    size_t expected = 0;
    for (int64_t i = 0; i < N; i++) {
      bool want = (cases[c].mask >> (i % 5)) & 1u;
      expected += want;
      if ((((bits[i / 64] >> (i % 64)) & 1u) != 0) != want) {
        fail_msg("%s: row %lld", cases[c].rule, (long long)i);
      }
    }
    assert_int_equal(count, expected);
    segkit_rule_free(rule);
  }
  segkit_rule_env_free(env);
  segkit_table_free(t);
}

/* Values at the ends of the storage types (a table may hold them though no reader
 * produces them): arithmetic that leaves int64 microseconds or years 1-9999 is null. */
static void segment_extreme_values(void **state) {
  (void)state;
  static const char *const names[] = {"id", "ts", "d", "n"};
  static const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_TIMESTAMP, SEGKIT_TYPE_DATE,
                                      SEGKIT_TYPE_INT64};
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(4, names, types, &b, NULL), SEGKIT_OK);
  const int64_t ts[] = {INT64_MIN, INT64_MAX, 0};
  const int32_t d[] = {INT32_MIN, INT32_MAX, 0};
  const int64_t n[] = {INT64_MIN, INT64_MAX, 0};
  for (int i = 0; i < 3; i++) {
    segkit_column_append_int64(segkit_table_builder_column(b, 0), i);
    segkit_column_append_int64(segkit_table_builder_column(b, 1), ts[i]);
    segkit_column_append_date(segkit_table_builder_column(b, 2), d[i]);
    segkit_column_append_int64(segkit_table_builder_column(b, 3), n[i]);
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, NULL), SEGKIT_OK);
  segkit_rule_env *env = NULL;
  segkit_error err;
  assert_int_equal(segkit_rule_env_new(t, "id", 0, &env, &err), SEGKIT_OK);
  static const struct {
    const char *rule;
    const char *members;
  } cases[] = {
      {"ts + 1mo is null", "1,2"},        /* beyond year 9999 either way */
      {"ts + 1d is null", "2"},           /* INT64_MAX + a day overflows */
      {"ts - 1d is null", "1"},
      {"d + 1d is null", "1,2"},          /* the date's microseconds overflow */
      {"d + 1mo is null", "1,2"},
      {"days_since(ts) is null", "1"},    /* now - INT64_MIN overflows */
      {"abs(n) is null", "1"},            /* |INT64_MIN| */
      {"-n is null", "1"},
      {"n * 2 is null", "1,2"},
      {"n / -1 is null", "1"},
      {"ts >= d", "3"},                   /* rows 1-2: the dates overflow microseconds: null */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    segkit_rule *rule = NULL;
    if (segkit_rule_compile(env, cases[i].rule, &rule, NULL, &err) != SEGKIT_OK) {
      fail_msg("%s: %s", cases[i].rule, err.message);
    }
    char got[64];
    assert_int_equal(sgt_members(rule, env, 3, 1, got, sizeof got, &err), SEGKIT_OK);
    if (strcmp(got, cases[i].members) != 0) {
      fail_msg("%s: {%s}, expected {%s}", cases[i].rule, got, cases[i].members);
    }
    segkit_rule_free(rule);
  }
  segkit_rule_env_free(env);
  segkit_table_free(t);
}

/* Sparse int64 keys go through the hash index (dense ones through a direct array). */
static void segment_sparse_int_keys(void **state) {
  (void)state;
  static const char *const cn[] = {"id"};
  static const segkit_type ct[] = {SEGKIT_TYPE_INT64};
  static const char *const cc[] = {"1000000000", "-5", NULL, "7", "9223372036854775807"};
  static const char *const fn[] = {"who", "v"};
  static const segkit_type ft[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_INT64};
  static const char *const fc[] = {"7", "1", "-5", "2", "8", "4", "1000000000", "8", "7", "16",
                                   NULL, "32", "9223372036854775807", "64"};
  segkit_table *c = sgt_table(1, cn, ct, 5, cc);
  segkit_table *t = sgt_table(2, fn, ft, 7, fc);
  segkit_rule_env *env = NULL;
  segkit_error err;
  assert_int_equal(segkit_rule_env_new(c, "id", 0, &env, &err), SEGKIT_OK);
  assert_int_equal(segkit_rule_env_link(env, "f", t, "who", NULL, &err), SEGKIT_OK);
  static const struct {
    const char *rule;
    const char *members;
  } cases[] = {
      {"sum(f.v) == 8", "1"},   /* 1000000000 */
      {"sum(f.v) == 2", "2"},   /* -5 */
      {"count(f) == 0", "3"},   /* the null key owns nothing; 8 is nobody's */
      {"sum(f.v) == 17", "4"},  /* 7: 1 + 16 */
      {"sum(f.v) == 64", "5"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    segkit_rule *rule = NULL;
    assert_int_equal(segkit_rule_compile(env, cases[i].rule, &rule, NULL, &err), SEGKIT_OK);
    char got[64];
    assert_int_equal(sgt_members(rule, env, 5, 2, got, sizeof got, &err), SEGKIT_OK);
    assert_string_equal(got, cases[i].members);
    segkit_rule_free(rule);
  }
  segkit_rule_env_free(env);
  static const char *const dup[] = {"1000000000", "-5", "1000000000"};
  segkit_table *d = sgt_table(1, cn, ct, 3, dup);
  assert_int_equal(segkit_rule_env_new(d, "id", 0, &env, &err), SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.message, "customer key 1000000000 repeats at row 3 (expected unique keys)");
  segkit_table_free(d);
  segkit_table_free(c);
  segkit_table_free(t);
}

/* Many rows: batches, several threads, the bitset's last partial word. Expected counts
 * come from closed forms over i (not from segkit). */
static void segment_many_rows_threads(void **state) {
  (void)state;
  enum { N = 200003 };
  static const char *const names[] = {"id", "x", "s"};
  static const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING};
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(3, names, types, &b, NULL), SEGKIT_OK);
  for (int64_t i = 0; i < N; i++) {
    segkit_column_append_int64(segkit_table_builder_column(b, 0), i);
    if (i % 10 == 0) {
      segkit_column_append_null(segkit_table_builder_column(b, 1));
    } else {
      segkit_column_append_int64(segkit_table_builder_column(b, 1), i % 7);
    }
    const char *s = i % 3 == 0 ? "a" : "b";
    segkit_column_append_string(segkit_table_builder_column(b, 2), s, 1);
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, NULL), SEGKIT_OK);
  segkit_rule_env *env = NULL;
  segkit_error err;
  assert_int_equal(segkit_rule_env_new(t, "id", 0, &env, &err), SEGKIT_OK);
  segkit_rule *rule = NULL;
  assert_int_equal(segkit_rule_compile(env, "x == 3 and s == \"a\"", &rule, NULL, &err), SEGKIT_OK);
  size_t expected = 0;
  for (int64_t i = 0; i < N; i++) {
    expected += i % 10 != 0 && i % 7 == 3 && i % 3 == 0;
  }
  size_t words = (N + 63) / 64;
  uint64_t *b1 = calloc(words, 8);
  uint64_t *b2 = calloc(words, 8);
  size_t c1 = 0;
  size_t c2 = 0;
  assert_int_equal(segkit_rule_eval(rule, env, 1, b1, &c1, &err), SEGKIT_OK);
  assert_int_equal(segkit_rule_eval(rule, env, 4, b2, &c2, &err), SEGKIT_OK);
  assert_int_equal(c1, expected);
  assert_int_equal(c2, expected);
  assert_memory_equal(b1, b2, words * 8);
  for (int64_t i = 0; i < N; i++) {
    bool want = i % 10 != 0 && i % 7 == 3 && i % 3 == 0;
    if (((b1[i / 64] >> (i % 64)) & 1u) != want) {
      fail_msg("row %lld", (long long)i);
    }
  }
  free(b1);
  free(b2);
  segkit_rule_free(rule);
  segkit_rule_env_free(env);
  segkit_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(segment_eval_comparisons_and_logic, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_eval_arithmetic, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_eval_strings, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_eval_dates, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_eval_aggregates, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_eval_aggregates, setup_indexed, teardown),
      cmocka_unit_test_setup_teardown(segment_eval_in_segment, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_env_errors, setup, teardown),
      cmocka_unit_test(segment_string_keys),
      cmocka_unit_test(segment_sparse_int_keys),
      cmocka_unit_test(segment_dictionary_folding),
      cmocka_unit_test(segment_extreme_values),
      cmocka_unit_test(segment_many_rows_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
