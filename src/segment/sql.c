/* SQL generation: the typed AST printed as PostgreSQL, one customer per row:
 *   SELECT c."id" FROM "customers" c WHERE <rule>
 * Aggregates become correlated subqueries on the linked tables (alias f), now() the
 * environment's fixed time as a literal, in_segment() a subquery on segment_members.
 * Where PostgreSQL and SQLite differ the writer picks forms both accept (substr/length
 * instead of starts_with, replace() for contains, a / NULLIF(b, 0) so division by zero is
 * null in both), so the common subset runs unchanged in SQLite for the property tests.
 * Every sub-expression is parenthesised: no reliance on either dialect's precedence. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segment/segment_int.h"

/* Generated SQL grows linearly with the rule (at most 64 KiB); this bounds it. */
#define SK__MAX_SQL_BYTES (16u << 20)

/* Growable string with a ceiling; after a failure every write is dropped. */
typedef struct buf_t {
  char *p;
  size_t len, cap;
  bool failed;
} buf_t;

static void buf_put(buf_t *b, const char *s, size_t n) {
  if (b->failed) {
    return;
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap == 0 ? 1024 : b->cap;
    while (cap < b->len + n + 1) {
      cap *= 2;
    }
    char *fresh = cap <= SK__MAX_SQL_BYTES ? realloc(b->p, cap) : NULL;
    if (fresh == NULL) {
      b->failed = true;
      return;
    }
    b->p = fresh;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void buf_printf(buf_t *b, const char *fmt, ...) SEGKIT_PRINTF(2, 3);

static void buf_printf(buf_t *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tmp) {
    b->failed = true;
    return;
  }
  buf_put(b, tmp, (size_t)n);
}

static void puts_(buf_t *b, const char *s) {
  buf_put(b, s, strlen(s));
}

/* "name" with " doubled. */
static void ident(buf_t *b, const char *s) {
  puts_(b, "\"");
  for (const char *p = s; *p != '\0'; p++) {
    buf_put(b, p, 1);
    if (*p == '"') {
      buf_put(b, p, 1);
    }
  }
  puts_(b, "\"");
}

/* 'text' with ' doubled. */
static void string_lit(buf_t *b, const char *s, size_t n) {
  puts_(b, "'");
  for (size_t i = 0; i < n; i++) {
    buf_put(b, s + i, 1);
    if (s[i] == '\'') {
      buf_put(b, s + i, 1);
    }
  }
  puts_(b, "'");
}

static void timestamp_lit(buf_t *b, int64_t us) {
  char t[48];
  size_t n = segkit_format_timestamp(us, t, sizeof t);
  if (n > 0 && n < sizeof t && t[n - 1] == 'Z') {
    t[n - 1] = '\0';
  }
  char *tee = strchr(t, 'T');
  if (tee != NULL) {
    *tee = ' ';
  }
  puts_(b, "TIMESTAMP '");
  puts_(b, t);
  puts_(b, "'");
}

static void interval_lit(buf_t *b, int64_t us, int64_t months) {
  if (months != 0) {
    buf_printf(b, "INTERVAL '%lld months'", (long long)months);
  } else if (us % SEGKIT_US_PER_DAY == 0) {
    buf_printf(b, "INTERVAL '%lld days'", (long long)(us / SEGKIT_US_PER_DAY));
  } else if (us % SEGKIT_US_PER_SEC == 0) {
    buf_printf(b, "INTERVAL '%lld seconds'", (long long)(us / SEGKIT_US_PER_SEC));
  } else {
    buf_printf(b, "INTERVAL '%lld microseconds'", (long long)us);
  }
}

typedef struct writer {
  buf_t b;
  const segkit_rule_env *env;
  const segkit_rule *rule;
  int link; /* inside a where clause: the linked table */
} writer;

static void expr(writer *w, const sk__node *n);

static void literal(writer *w, const sk__node *n) {
  buf_t *b = &w->b;
  switch (n->type) {
  case SK__V_NULL: puts_(b, "NULL"); break;
  case SK__V_BOOL: puts_(b, n->i ? "TRUE" : "FALSE"); break;
  case SK__V_INT: buf_printf(b, "%lld", (long long)n->i); break;
  case SK__V_FLOAT: {
    char t[64];
    snprintf(t, sizeof t, "%.17g", n->f);
    puts_(b, t);
    if (strpbrk(t, ".eEn") == NULL) {
      puts_(b, ".0");
    }
    break;
  }
  case SK__V_STRING: string_lit(b, n->s, n->s_len); break;
  case SK__V_DATE: {
    char t[32];
    segkit_format_date((int32_t)n->i, t, sizeof t);
    buf_printf(b, "DATE '%s'", t);
    break;
  }
  case SK__V_TIMESTAMP: timestamp_lit(b, n->i); break;
  default: interval_lit(b, n->i, n->months); break;
  }
}

static const char *sql_op(int op) {
  switch (op) {
  case SK__TK_EQ: return " = ";
  case SK__TK_NE: return " <> ";
  case SK__TK_LT: return " < ";
  case SK__TK_LE: return " <= ";
  case SK__TK_GT: return " > ";
  case SK__TK_GE: return " >= ";
  case SK__TK_PLUS: return " + ";
  case SK__TK_MINUS: return " - ";
  case SK__TK_STAR: return " * ";
  case SK__TK_SLASH: return " / ";
  case SK__TK_AND: return " AND ";
  default: return " OR ";
  }
}

static void column_ref(writer *w, const sk__node *n) {
  const segkit_table *t = n->in_fact ? w->env->links[w->link].facts : w->env->customers;
  puts_(&w->b, n->in_fact ? "f." : "c.");
  ident(&w->b, segkit_column_name(segkit_table_column(t, (size_t)n->col)));
}

static void binary(writer *w, const sk__node *n) {
  buf_t *b = &w->b;
  const sk__node *l = n->args[0];
  const sk__node *r = n->args[1];
  if (n->type == SK__V_DURATION && l->type == SK__V_DATE && r->type == SK__V_DATE) {
    /* date - date is a whole number of days in PostgreSQL: make it an interval */
    puts_(b, "((");
    expr(w, l);
    puts_(b, " - ");
    expr(w, r);
    puts_(b, ") * INTERVAL '1 day')");
    return;
  }
  bool cast_date = n->type == SK__V_DATE; /* date +- months stays a date */
  puts_(b, cast_date ? "CAST((" : "(");
  expr(w, l);
  puts_(b, sql_op(n->op));
  if (n->op == SK__TK_SLASH) {
    puts_(b, "NULLIF(");
    expr(w, r);
    puts_(b, ", 0)");
  } else {
    expr(w, r);
  }
  puts_(b, cast_date ? ") AS DATE)" : ")");
}

static void list(writer *w, const sk__node *n, size_t from) {
  for (size_t k = from; k < n->n_args; k++) {
    if (k > from) {
      puts_(&w->b, ", ");
    }
    expr(w, n->args[k]);
  }
}

static void now_lit(writer *w) {
  timestamp_lit(&w->b, w->env->now_us);
}

static void call(writer *w, const sk__node *n) {
  buf_t *b = &w->b;
  const sk__node *a = n->n_args > 0 ? n->args[0] : NULL;
  const sk__node *p = n->n_args > 1 ? n->args[1] : NULL;
  switch (n->func) {
  case SK__F_STARTS_WITH:
    puts_(b, "(substr(");
    expr(w, a);
    puts_(b, ", 1, length(");
    expr(w, p);
    puts_(b, ")) = ");
    expr(w, p);
    puts_(b, ")");
    return;
  case SK__F_ENDS_WITH:
    puts_(b, "(length(");
    expr(w, a);
    puts_(b, ") >= length(");
    expr(w, p);
    puts_(b, ") AND substr(");
    expr(w, a);
    puts_(b, ", length(");
    expr(w, a);
    puts_(b, ") - length(");
    expr(w, p);
    puts_(b, ") + 1) = ");
    expr(w, p);
    puts_(b, ")");
    return;
  case SK__F_CONTAINS:
    puts_(b, "(length(replace(");
    expr(w, a);
    puts_(b, ", ");
    expr(w, p);
    puts_(b, ", '')) < length(");
    expr(w, a);
    puts_(b, ") OR (");
    expr(w, p);
    puts_(b, " = '' AND ");
    expr(w, a);
    puts_(b, " IS NOT NULL))");
    return;
  case SK__F_MATCHES:
    puts_(b, "(");
    expr(w, a);
    puts_(b, " ~ ");
    expr(w, p);
    puts_(b, ")");
    return;
  case SK__F_ROUND:
    if (n->type == SK__V_INT) {
      expr(w, a);
      return;
    }
    puts_(b, "round(CAST(");
    expr(w, a);
    buf_printf(b, " AS NUMERIC), %lld)", (long long)(p != NULL ? p->i : 0));
    return;
  case SK__F_DAYS_SINCE:
    if (a->type == SK__V_DATE) {
      char t[32];
      int64_t day = w->env->now_us / SEGKIT_US_PER_DAY;
      if (w->env->now_us % SEGKIT_US_PER_DAY < 0) {
        day--;
      }
      segkit_format_date((int32_t)day, t, sizeof t);
      buf_printf(b, "(DATE '%s' - ", t);
      expr(w, a);
      puts_(b, ")");
    } else {
      puts_(b, "CAST(floor(EXTRACT(EPOCH FROM (");
      now_lit(w);
      puts_(b, " - ");
      expr(w, a);
      puts_(b, ")) / 86400) AS BIGINT)");
    }
    return;
  case SK__F_YEAR:
  case SK__F_MONTH:
    puts_(b, n->func == SK__F_YEAR ? "CAST(EXTRACT(YEAR FROM " : "CAST(EXTRACT(MONTH FROM ");
    expr(w, a);
    puts_(b, ") AS BIGINT)");
    return;
  case SK__F_IN_SEGMENT:
    puts_(b, "(c.");
    ident(b, segkit_column_name(segkit_table_column(w->env->customers, (size_t)w->env->key_col)));
    puts_(b, " IN (SELECT customer_key FROM segment_members WHERE segment = ");
    string_lit(b, a->s, a->s_len);
    puts_(b, "))");
    return;
  default:
    puts_(b, sk__func_name(n->func));
    puts_(b, "(");
    list(w, n, 0);
    puts_(b, ")");
    return;
  }
}

static void agg_from(writer *w, const sk__node *n) {
  buf_t *b = &w->b;
  const sk__link *l = &w->env->links[n->link];
  const segkit_table *t = l->facts;
  puts_(b, " FROM ");
  ident(b, l->name);
  puts_(b, " f WHERE f.");
  ident(b, segkit_column_name(segkit_table_column(t, (size_t)l->cust_col)));
  puts_(b, " = c.");
  ident(b, segkit_column_name(segkit_table_column(w->env->customers, (size_t)w->env->key_col)));
  if (n->where != NULL) {
    puts_(b, " AND ");
    w->link = n->link;
    expr(w, n->where);
    w->link = -1;
  }
  const char *tname = l->time_col >= 0 ? segkit_column_name(segkit_table_column(t, (size_t)l->time_col)) : NULL;
  if (n->has_window) {
    puts_(b, " AND f.");
    ident(b, tname);
    puts_(b, " > ");
    int64_t lo = 0;
    timestamp_lit(b, __builtin_sub_overflow(w->env->now_us, n->window_us, &lo) ? INT64_MIN : lo);
    puts_(b, " AND f.");
    ident(b, tname);
    puts_(b, " <= ");
    now_lit(w);
  }
  const char *cname = n->agg_col >= 0 ? segkit_column_name(segkit_table_column(t, (size_t)n->agg_col)) : NULL;
  if (n->agg == SK__A_FIRST || n->agg == SK__A_LAST) {
    const char *dir = n->agg == SK__A_LAST ? " DESC" : " ASC";
    puts_(b, " AND f.");
    ident(b, cname);
    puts_(b, " IS NOT NULL AND f.");
    ident(b, tname);
    puts_(b, " IS NOT NULL ORDER BY f.");
    ident(b, tname);
    puts_(b, dir);
    puts_(b, ", f.");
    ident(b, cname);
    puts_(b, dir);
    puts_(b, " LIMIT 1");
  }
}

static void aggregate(writer *w, const sk__node *n) {
  buf_t *b = &w->b;
  const segkit_table *t = w->env->links[n->link].facts;
  const char *cname = n->agg_col >= 0 ? segkit_column_name(segkit_table_column(t, (size_t)n->agg_col)) : NULL;
  if (n->agg == SK__A_EXISTS) {
    puts_(b, "EXISTS (SELECT 1");
    agg_from(w, n);
    if (cname != NULL) {
      puts_(b, " AND f.");
      ident(b, cname);
      puts_(b, " IS NOT NULL");
    }
    puts_(b, ")");
    return;
  }
  puts_(b, "(SELECT ");
  if (n->agg == SK__A_FIRST || n->agg == SK__A_LAST) {
    puts_(b, "f.");
    ident(b, cname);
  } else {
    puts_(b, n->agg == SK__A_AVG ? "avg(CAST(" : sk__agg_name(n->agg));
    if (n->agg != SK__A_AVG) {
      puts_(b, "(");
    }
    if (cname == NULL) {
      puts_(b, "*");
    } else {
      puts_(b, "f.");
      ident(b, cname);
    }
    puts_(b, n->agg == SK__A_AVG ? " AS DOUBLE PRECISION))" : ")");
  }
  agg_from(w, n);
  puts_(b, ")");
}

static void expr(writer *w, const sk__node *n) {
  buf_t *b = &w->b;
  switch (n->kind) {
  case SK__N_LIT:
    literal(w, n);
    return;
  case SK__N_NOW:
    now_lit(w);
    return;
  case SK__N_FIELD:
    column_ref(w, n);
    return;
  case SK__N_UNARY:
    puts_(b, n->op == SK__TK_NOT ? "(NOT " : "(- ");
    expr(w, n->args[0]);
    puts_(b, ")");
    return;
  case SK__N_BINARY:
    binary(w, n);
    return;
  case SK__N_IN:
    puts_(b, "(");
    expr(w, n->args[0]);
    puts_(b, n->negate ? " NOT IN (" : " IN (");
    list(w, n, 1);
    puts_(b, "))");
    return;
  case SK__N_BETWEEN:
    puts_(b, "(");
    expr(w, n->args[0]);
    puts_(b, n->negate ? " NOT BETWEEN " : " BETWEEN ");
    expr(w, n->args[1]);
    puts_(b, " AND ");
    expr(w, n->args[2]);
    puts_(b, ")");
    return;
  case SK__N_ISNULL:
    puts_(b, "(");
    expr(w, n->args[0]);
    puts_(b, n->negate ? " IS NOT NULL)" : " IS NULL)");
    return;
  case SK__N_CALL:
    call(w, n);
    return;
  default:
    aggregate(w, n);
    return;
  }
}

segkit_status segkit_rule_to_sql(const segkit_rule *rule, const segkit_rule_env *env,
                                 const char *customers_table, char **sql, segkit_error *err) {
  if (rule == NULL || env == NULL || customers_table == NULL || sql == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_rule_to_sql: NULL argument");
  }
  writer w = {.env = env, .rule = rule, .link = -1};
  puts_(&w.b, "SELECT c.");
  ident(&w.b, segkit_column_name(segkit_table_column(env->customers, (size_t)env->key_col)));
  puts_(&w.b, " FROM ");
  ident(&w.b, customers_table);
  puts_(&w.b, " c WHERE ");
  expr(&w, rule->root);
  if (w.b.failed) {
    free(w.b.p);
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "SQL for the rule is over %u bytes or out of memory",
                            SK__MAX_SQL_BYTES);
  }
  *sql = w.b.p;
  return SEGKIT_OK;
}
