/* SQL generation. (1) Golden PostgreSQL text for representative rules, written by hand
 * from docs/rules.md. (2) A property test: random rules from a small grammar over a random
 * table and a linked fact table, evaluated by segkit's bytecode and, through
 * segkit_rule_to_sql, by SQLite (an independent SQL engine) on the same data loaded into an
 * in-memory database; the two member sets must be equal. The grammar covers the subset
 * docs/rules.md promises to be valid SQLite: comparisons, and/or/not, in, between, is
 * null, arithmetic, string functions except matches, aggregates without time windows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segment_testkit.h"

/* ---- golden SQL -------------------------------------------------------------------- */

static void segment_sql_golden(void **state) {
  (void)state;
  static const char *const cn[] = {"id", "plan", "seats", "signup", "ph.ecog"};
  static const segkit_type ct[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_INT64,
                                   SEGKIT_TYPE_DATE, SEGKIT_TYPE_INT64};
  static const char *const cc[] = {"1", "pro", "1", "2025-01-01", "1"};
  static const char *const en[] = {"customer_id", "name", "ts"};
  static const segkit_type et[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_TIMESTAMP};
  static const char *const ec[] = {"1", "login", "2025-01-02"};
  segkit_table *c = sgt_table(5, cn, ct, 1, cc);
  segkit_table *e = sgt_table(3, en, et, 1, ec);
  int64_t now = 0;
  assert_true(segkit_parse_timestamp("2025-06-01T00:00:00Z", 20, &now));
  segkit_rule_env *env = NULL;
  segkit_error err;
  assert_int_equal(segkit_rule_env_new(c, "id", now, &env, &err), SEGKIT_OK);
  assert_int_equal(segkit_rule_env_link(env, "events", e, "customer_id", "ts", &err), SEGKIT_OK);
  static const struct {
    const char *rule;
    const char *sql;
  } cases[] = {
      {"plan == \"pro\" and seats > 1",
       "SELECT c.\"id\" FROM \"customers\" c WHERE ((c.\"plan\" = 'pro') AND (c.\"seats\" > 1))"},
      {"not (plan in (\"a\", \"it's\") or seats between 1 and 2.5)",
       "SELECT c.\"id\" FROM \"customers\" c WHERE (NOT ((c.\"plan\" IN ('a', 'it''s')) OR "
       "(c.\"seats\" BETWEEN 1 AND 2.5)))"},
      {"`ph.ecog` is not null and seats / 2 not in (1)",
       "SELECT c.\"id\" FROM \"customers\" c WHERE ((c.\"ph.ecog\" IS NOT NULL) AND "
       "((c.\"seats\" / NULLIF(2, 0)) NOT IN (1)))"},
      {"starts_with(plan, \"p\")",
       "SELECT c.\"id\" FROM \"customers\" c WHERE (substr(c.\"plan\", 1, length('p')) = 'p')"},
      {"signup + 6mo < date(\"2025-03-01\")",
       "SELECT c.\"id\" FROM \"customers\" c WHERE (CAST((c.\"signup\" + INTERVAL '6 months') AS "
       "DATE) < DATE '2025-03-01')"},
      {"count(events where name == \"login\" and ts > now() - 14d) == 0",
       "SELECT c.\"id\" FROM \"customers\" c WHERE ((SELECT count(*) FROM \"events\" f WHERE "
       "f.\"customer_id\" = c.\"id\" AND ((f.\"name\" = 'login') AND (f.\"ts\" > "
       "(TIMESTAMP '2025-06-01 00:00:00' - INTERVAL '14 days')))) = 0)"},
      {"days_since(last(events.ts)) > 7",
       "SELECT c.\"id\" FROM \"customers\" c WHERE (CAST(floor(EXTRACT(EPOCH FROM (TIMESTAMP "
       "'2025-06-01 00:00:00' - (SELECT f.\"ts\" FROM \"events\" f WHERE f.\"customer_id\" = "
       "c.\"id\" AND f.\"ts\" IS NOT NULL AND f.\"ts\" IS NOT NULL ORDER BY f.\"ts\" DESC, "
       "f.\"ts\" DESC LIMIT 1))) / 86400) AS BIGINT) > 7)"},
      {"exists(events, last 90d) and in_segment(\"vip\")",
       "SELECT c.\"id\" FROM \"customers\" c WHERE (EXISTS (SELECT 1 FROM \"events\" f WHERE "
       "f.\"customer_id\" = c.\"id\" AND f.\"ts\" > TIMESTAMP '2025-03-03 00:00:00' AND "
       "f.\"ts\" <= TIMESTAMP '2025-06-01 00:00:00') AND (c.\"id\" IN (SELECT customer_key FROM "
       "segment_members WHERE segment = 'vip')))"},
      {"days_since(signup) >= 30 and matches(plan, \"^p\")",
       "SELECT c.\"id\" FROM \"customers\" c WHERE (((DATE '2025-06-01' - c.\"signup\") >= 30) "
       "AND (c.\"plan\" ~ '^p'))"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    segkit_rule *rule = NULL;
    if (segkit_rule_compile(env, cases[i].rule, &rule, NULL, &err) != SEGKIT_OK) {
      fail_msg("%s: %s", cases[i].rule, err.message);
    }
    char *sql = NULL;
    assert_int_equal(segkit_rule_to_sql(rule, env, "customers", &sql, &err), SEGKIT_OK);
    if (strcmp(sql, cases[i].sql) != 0) {
      fail_msg("%s:\n got      %s\n expected %s", cases[i].rule, sql, cases[i].sql);
    }
    free(sql);
    segkit_rule_free(rule);
  }
  segkit_rule_env_free(env);
  segkit_table_free(c);
  segkit_table_free(e);
}

/* ---- property test: bytecode vs SQLite ------------------------------------------------ */

typedef struct rng {
  uint64_t s;
} rng;

static uint64_t next_u64(rng *r) {
  uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static int pick(rng *r, int n) {
  return (int)(next_u64(r) % (uint64_t)n);
}

typedef struct gen {
  rng r;
  char buf[8192];
  size_t len;
  bool fact; /* inside a where clause over tx */
} gen;

static void put(gen *g, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(g->buf + g->len, sizeof g->buf - g->len, fmt, ap);
  va_end(ap);
  if (n > 0 && g->len + (size_t)n < sizeof g->buf) {
    g->len += (size_t)n;
  }
}

static const char *const strs[] = {"", "a", "ab", "b", "ba", "abc", "B", "x y"};
static const char *const cmps[] = {"==", "!=", "<", "<=", ">", ">="};

static void gen_num(gen *g, int depth);
static void gen_bool(gen *g, int depth);

static void gen_str_lit(gen *g) {
  put(g, "\"%s\"", strs[pick(&g->r, 8)]);
}

static void gen_num_lit(gen *g) {
  if (pick(&g->r, 3) == 0) {
    put(g, "%.2f", (pick(&g->r, 25) - 12) * 0.25);
  } else {
    put(g, "%d", pick(&g->r, 9) - 3);
  }
}

static void gen_str(gen *g, int depth) {
  int k = depth <= 0 ? pick(&g->r, 2) : pick(&g->r, 6);
  switch (k) {
  case 0:
    put(g, g->fact && pick(&g->r, 2) ? "kind" : "s");
    return;
  case 1:
    gen_str_lit(g);
    return;
  case 2:
  case 3:
    put(g, k == 2 ? "lower(" : "upper(");
    gen_str(g, depth - 1);
    put(g, ")");
    return;
  default:
    put(g, "coalesce(");
    gen_str(g, depth - 1);
    put(g, ", ");
    gen_str_lit(g);
    put(g, ")");
    return;
  }
}

static void gen_num(gen *g, int depth) {
  int k = depth <= 0 ? pick(&g->r, 3) : pick(&g->r, 10);
  static const char *const ops[] = {"+", "-", "*", "/"};
  switch (k) {
  case 0:
    put(g, g->fact ? (pick(&g->r, 2) ? "amount" : "v") : "a");
    return;
  case 1:
    put(g, g->fact ? "a" : "b");
    return;
  case 2:
    gen_num_lit(g);
    return;
  case 3:
  case 4:
    put(g, "(");
    gen_num(g, depth - 1);
    put(g, " %s ", ops[pick(&g->r, 4)]);
    gen_num(g, depth - 1);
    put(g, ")");
    return;
  case 5:
    put(g, "-");
    gen_num(g, depth - 1);
    return;
  case 6:
    put(g, "abs(");
    gen_num(g, depth - 1);
    put(g, ")");
    return;
  case 7:
    put(g, "coalesce(");
    gen_num(g, depth - 1);
    put(g, ", ");
    gen_num_lit(g);
    put(g, ")");
    return;
  case 8:
    put(g, "length(");
    gen_str(g, depth - 1);
    put(g, ")");
    return;
  default:
    if (g->fact) {
      gen_num_lit(g);
      return;
    }
    /* aggregates over tx */
    switch (pick(&g->r, 6)) {
    case 0: put(g, "count(tx"); break;
    case 1: put(g, "sum(tx.amount"); break;
    case 2: put(g, "sum(tx.v"); break;
    case 3: put(g, pick(&g->r, 2) ? "min(tx.amount" : "max(tx.v"); break;
    case 4: put(g, "avg(tx.amount"); break;
    default: put(g, "count(tx.amount"); break;
    }
    if (pick(&g->r, 2)) {
      put(g, " where ");
      g->fact = true;
      gen_bool(g, 1);
      g->fact = false;
    }
    put(g, ")");
    return;
  }
}

static void gen_bool(gen *g, int depth) {
  int k = depth <= 0 ? pick(&g->r, 3) : pick(&g->r, 14);
  switch (k) {
  case 0:
    gen_num(g, depth - 1);
    put(g, " %s ", cmps[pick(&g->r, 6)]);
    gen_num(g, depth - 1);
    return;
  case 1:
    gen_str(g, depth - 1);
    put(g, " %s ", cmps[pick(&g->r, 6)]);
    gen_str(g, depth - 1);
    return;
  case 2:
    if (g->fact) {
      put(g, pick(&g->r, 2) ? "kind == \"a\"" : "amount > a");
    } else {
      put(g, pick(&g->r, 4) == 0 ? (pick(&g->r, 2) ? "true" : "null") : "f");
    }
    return;
  case 3:
  case 4:
    put(g, "(");
    gen_bool(g, depth - 1);
    put(g, k == 3 ? " and " : " or ");
    gen_bool(g, depth - 1);
    put(g, ")");
    return;
  case 5:
    put(g, "not (");
    gen_bool(g, depth - 1);
    put(g, ")");
    return;
  case 6: {
    int what = pick(&g->r, 3);
    if (what == 0) {
      gen_num(g, depth - 1);
    } else if (what == 1) {
      gen_str(g, depth - 1);
    } else {
      put(g, g->fact ? "kind" : "f");
    }
    put(g, pick(&g->r, 2) ? " is null" : " is not null");
    return;
  }
  case 7:
  case 8: {
    bool num = k == 7;
    if (num) {
      gen_num(g, depth - 1);
    } else {
      gen_str(g, depth - 1);
    }
    put(g, pick(&g->r, 2) ? " not in (" : " in (");
    int n = 1 + pick(&g->r, 3);
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        put(g, ", ");
      }
      if (pick(&g->r, 6) == 0) {
        put(g, "null");
      } else if (num) {
        gen_num_lit(g);
      } else {
        gen_str_lit(g);
      }
    }
    put(g, ")");
    return;
  }
  case 9:
    gen_num(g, depth - 1);
    put(g, pick(&g->r, 2) ? " between " : " not between ");
    gen_num(g, 0);
    put(g, " and ");
    gen_num(g, 0);
    return;
  case 10: {
    static const char *const fns[] = {"starts_with", "ends_with", "contains"};
    put(g, "%s(", fns[pick(&g->r, 3)]);
    gen_str(g, depth - 1);
    put(g, ", ");
    gen_str(g, depth - 1);
    put(g, ")");
    return;
  }
  case 11:
    if (g->fact) {
      put(g, "v >= b");
      return;
    }
    put(g, "exists(tx");
    if (pick(&g->r, 2)) {
      put(g, " where ");
      g->fact = true;
      gen_bool(g, 1);
      g->fact = false;
    }
    put(g, ")");
    return;
  case 12:
    put(g, "(");
    gen_bool(g, depth - 1);
    put(g, ") == (");
    gen_bool(g, depth - 1);
    put(g, ")");
    return;
  default:
    gen_num(g, depth - 1);
    put(g, " %s ", cmps[pick(&g->r, 6)]);
    gen_num_lit(g);
    return;
  }
}

enum { N_CUST = 400, N_TX = 1200 };

typedef struct world {
  segkit_table *cust, *tx;
  segkit_rule_env *env;
  sqlite3 *db;
} world;

static void exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    fail_msg("%s: %s", sql, msg);
  }
}

static void build_world(world *w, uint64_t seed) {
  rng r = {seed};
  static const char *const cn[] = {"id", "a", "b", "s", "f"};
  static const segkit_type ct[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_INT64, SEGKIT_TYPE_FLOAT64,
                                   SEGKIT_TYPE_STRING, SEGKIT_TYPE_BOOL};
  static const char *const tn[] = {"customer_id", "amount", "kind", "v"};
  static const segkit_type tt[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING,
                                   SEGKIT_TYPE_FLOAT64};
  static char text[N_TX * 4][16];
  static const char *cells[N_TX * 4];
  assert_int_equal(sqlite3_open(":memory:", &w->db), SQLITE_OK);
  exec(w->db, "CREATE TABLE customers(id INTEGER, a INTEGER, b REAL, s TEXT, f INTEGER);"
              "CREATE TABLE tx(customer_id INTEGER, amount INTEGER, kind TEXT, v REAL)");
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(w->db, "INSERT INTO customers VALUES (?, ?, ?, ?, ?)", -1, &st, NULL), SQLITE_OK);
  for (int i = 0; i < N_CUST; i++) {
    snprintf(text[i * 5], 16, "%d", i + 1);
    cells[i * 5 + 0] = text[i * 5];
    int a = pick(&r, 11) - 5;
    double b = (pick(&r, 25) - 12) * 0.25;
    const char *s = strs[pick(&r, 8)];
    int f = pick(&r, 2);
    bool na = pick(&r, 7) == 0, nb = pick(&r, 7) == 0, ns = pick(&r, 7) == 0, nf = pick(&r, 7) == 0;
    snprintf(text[i * 5 + 1], 16, "%d", a);
    snprintf(text[i * 5 + 2], 16, "%.2f", b);
    cells[i * 5 + 1] = na ? NULL : text[i * 5 + 1];
    cells[i * 5 + 2] = nb ? NULL : text[i * 5 + 2];
    cells[i * 5 + 3] = ns ? NULL : s;
    cells[i * 5 + 4] = nf ? NULL : f ? "true" : "false";
    sqlite3_bind_int(st, 1, i + 1);
    na ? sqlite3_bind_null(st, 2) : sqlite3_bind_int(st, 2, a);
    nb ? sqlite3_bind_null(st, 3) : sqlite3_bind_double(st, 3, b);
    ns ? sqlite3_bind_null(st, 4) : sqlite3_bind_text(st, 4, s, -1, SQLITE_STATIC);
    nf ? sqlite3_bind_null(st, 5) : sqlite3_bind_int(st, 5, f);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  w->cust = sgt_table(5, cn, ct, N_CUST, cells);
  assert_non_null(w->cust);
  assert_int_equal(sqlite3_prepare_v2(w->db, "INSERT INTO tx VALUES (?, ?, ?, ?)", -1, &st, NULL), SQLITE_OK);
  for (int i = 0; i < N_TX; i++) {
    int cid = 1 + pick(&r, N_CUST + 40); /* some belong to nobody */
    int amount = pick(&r, 21) - 10;
    const char *kind = strs[1 + pick(&r, 3)];
    double v = (pick(&r, 13) - 6) * 0.5;
    bool nc = pick(&r, 30) == 0, na = pick(&r, 8) == 0, nk = pick(&r, 8) == 0, nv = pick(&r, 8) == 0;
    snprintf(text[i * 4 + 0], 16, "%d", cid);
    snprintf(text[i * 4 + 1], 16, "%d", amount);
    snprintf(text[i * 4 + 3], 16, "%.1f", v);
    cells[i * 4 + 0] = nc ? NULL : text[i * 4];
    cells[i * 4 + 1] = na ? NULL : text[i * 4 + 1];
    cells[i * 4 + 2] = nk ? NULL : kind;
    cells[i * 4 + 3] = nv ? NULL : text[i * 4 + 3];
    nc ? sqlite3_bind_null(st, 1) : sqlite3_bind_int(st, 1, cid);
    na ? sqlite3_bind_null(st, 2) : sqlite3_bind_int(st, 2, amount);
    nk ? sqlite3_bind_null(st, 3) : sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    nv ? sqlite3_bind_null(st, 4) : sqlite3_bind_double(st, 4, v);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  w->tx = sgt_table(4, tn, tt, N_TX, cells);
  assert_non_null(w->tx);
  segkit_error err;
  assert_int_equal(segkit_rule_env_new(w->cust, "id", 0, &w->env, &err), SEGKIT_OK);
  assert_int_equal(segkit_rule_env_link(w->env, "tx", w->tx, "customer_id", NULL, &err), SEGKIT_OK);
}

static void free_world(world *w) {
  segkit_rule_env_free(w->env);
  segkit_table_free(w->cust);
  segkit_table_free(w->tx);
  sqlite3_close(w->db);
}

/* Members by SQLite as a bitset over rows (id = row + 1). */
static void sqlite_members(sqlite3 *db, const char *sql, uint64_t *bits, const char *rule) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    fail_msg("rule %s\nsql %s\nsqlite: %s", rule, sql, sqlite3_errmsg(db));
  }
  int rc = sqlite3_step(st);
  while (rc == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    bits[(id - 1) / 64] |= UINT64_C(1) << ((id - 1) % 64);
    rc = sqlite3_step(st);
  }
  if (rc != SQLITE_DONE) {
    fail_msg("rule %s\nsql %s\nsqlite: %s", rule, sql, sqlite3_errmsg(db));
  }
  sqlite3_finalize(st);
}

static void segment_sql_matches_sqlite(void **state) {
  (void)state;
  enum { N_RULES = 3000 };
  world w;
  build_world(&w, 42);
  gen g = {.r = {7}};
  size_t words = (N_CUST + 63) / 64;
  size_t nonempty = 0;
  for (int i = 0; i < N_RULES; i++) {
    g.len = 0;
    g.buf[0] = '\0';
    g.fact = false;
    gen_bool(&g, 1 + pick(&g.r, 4));
    segkit_rule *rule = NULL;
    segkit_error err;
    if (segkit_rule_compile(w.env, g.buf, &rule, NULL, &err) != SEGKIT_OK) {
      fail_msg("generated rule does not compile: %s\n%s", g.buf, err.message);
    }
    uint64_t mine[(N_CUST + 63) / 64] = {0};
    uint64_t theirs[(N_CUST + 63) / 64] = {0};
    size_t count = 0;
    assert_int_equal(segkit_rule_eval(rule, w.env, 1 + i % 3, mine, &count, &err), SEGKIT_OK);
    char *sql = NULL;
    assert_int_equal(segkit_rule_to_sql(rule, w.env, "customers", &sql, &err), SEGKIT_OK);
    sqlite_members(w.db, sql, theirs, g.buf);
    for (size_t k = 0; k < words * 64 && k < N_CUST; k++) {
      bool a = (mine[k / 64] >> (k % 64)) & 1u;
      bool b = (theirs[k / 64] >> (k % 64)) & 1u;
      if (a != b) {
        fail_msg("rule %s\nsql %s\nrow id %zu: segkit %d, sqlite %d", g.buf, sql, k + 1, a, b);
      }
    }
    nonempty += count > 0 && count < N_CUST;
    free(sql);
    segkit_rule_free(rule);
  }
  /* The test means something only if many rules select a proper subset. */
  assert_true(nonempty > N_RULES / 3);
  free_world(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(segment_sql_golden),
      cmocka_unit_test(segment_sql_matches_sqlite),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
