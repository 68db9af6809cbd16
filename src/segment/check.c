/* Type checker of the rule language: resolves every name (fields, functions, linked tables
 * and their columns), infers each node's type bottom-up and rejects what cannot run, all
 * before any data is touched. An unknown name gets a "did you mean" from the edit distance
 * over the names that could stand there. It also folds date("...") and timestamp("...")
 * into literals, compiles matches() patterns once (POSIX extended, REG_NOSUB) and numbers
 * the aggregates and in_segment() references for the compiler. */
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segment/segment_int.h"

typedef struct checker {
  sk__ctx *cx;
  sk__rule_info *info;
  int link; /* -1: customer scope; else inside where over this linked table */
} checker;

static segkit_status check(checker *ck, sk__node *n);

static segkit_status nomem(checker *ck) {
  return segkit_error_set(ck->cx->err, SEGKIT_ERR_NOMEM, "out of memory");
}

static sk__vtype column_vtype(segkit_type t) {
  switch (t) {
  case SEGKIT_TYPE_INT64: return SK__V_INT;
  case SEGKIT_TYPE_FLOAT64: return SK__V_FLOAT;
  case SEGKIT_TYPE_BOOL: return SK__V_BOOL;
  case SEGKIT_TYPE_TIMESTAMP: return SK__V_TIMESTAMP;
  case SEGKIT_TYPE_DATE: return SK__V_DATE;
  default: return SK__V_STRING;
  }
}

/* Kinds of values that compare with each other. */
typedef enum vclass { C_NULL, C_BOOL, C_NUM, C_STR, C_TIME, C_DUR } vclass;

static vclass class_of(sk__vtype t) {
  switch (t) {
  case SK__V_BOOL: return C_BOOL;
  case SK__V_INT:
  case SK__V_FLOAT: return C_NUM;
  case SK__V_STRING: return C_STR;
  case SK__V_DATE:
  case SK__V_TIMESTAMP: return C_TIME;
  case SK__V_DURATION: return C_DUR;
  default: return C_NULL;
  }
}

static bool is_bool(sk__vtype t) {
  return t == SK__V_BOOL || t == SK__V_NULL;
}

static bool is_num(sk__vtype t) {
  return t == SK__V_INT || t == SK__V_FLOAT || t == SK__V_NULL;
}

static bool is_time(sk__vtype t) {
  return t == SK__V_DATE || t == SK__V_TIMESTAMP || t == SK__V_NULL;
}

static bool calendar(const sk__node *n) {
  return n->type == SK__V_DURATION && n->months != 0;
}

static const char *tok_text(int op) {
  switch (op) {
  case SK__TK_EQ: return "==";
  case SK__TK_NE: return "!=";
  case SK__TK_LT: return "<";
  case SK__TK_LE: return "<=";
  case SK__TK_GT: return ">";
  case SK__TK_GE: return ">=";
  case SK__TK_PLUS: return "+";
  case SK__TK_MINUS: return "-";
  case SK__TK_STAR: return "*";
  case SK__TK_SLASH: return "/";
  case SK__TK_AND: return "and";
  case SK__TK_OR: return "or";
  default: return "not";
  }
}

/* The common type of two comparable values (for coalesce, in and between). */
static sk__vtype unify(sk__vtype a, sk__vtype b) {
  if (a == SK__V_NULL) {
    return b;
  }
  if (b == SK__V_NULL || a == b) {
    return a;
  }
  if (class_of(a) == C_NUM) {
    return SK__V_FLOAT;
  }
  return SK__V_TIMESTAMP; /* date with timestamp */
}

static segkit_status no_calendar(checker *ck, const sk__node *n) {
  if (!calendar(n)) {
    return SEGKIT_OK;
  }
  return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                  "calendar duration '%.*s' can only be added to or subtracted from a date "
                  "or timestamp (expected a duration in s, min, h, d or w)",
                  (int)n->len, ck->cx->text + n->pos);
}

static segkit_status comparable(checker *ck, const sk__node *at, const char *what,
                                const sk__node *a, const sk__node *b) {
  vclass ca = class_of(a->type);
  vclass cb = class_of(b->type);
  if (ca != C_NULL && cb != C_NULL && ca != cb) {
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, at->pos, at->len,
                    "'%s' cannot compare %s with %s (expected two values of the same kind: "
                    "numbers, strings, bools, dates/timestamps or durations)",
                    what, sk__vtype_name(a->type), sk__vtype_name(b->type));
  }
  segkit_status s = no_calendar(ck, a);
  return s != SEGKIT_OK ? s : no_calendar(ck, b);
}

/* ---- names ------------------------------------------------------------------------ */

static void offer_columns(sk__suggest *sg, const segkit_table *t) {
  for (size_t c = 0; c < segkit_table_n_cols(t); c++) {
    sk__suggest_offer(sg, segkit_column_name(segkit_table_column(t, c)));
  }
}

static segkit_status check_field(checker *ck, sk__node *n) {
  const segkit_rule_env *env = ck->cx->env;
  bool outer_only = n->negate;
  n->negate = false;
  if (ck->link >= 0 && !outer_only) {
    long c = segkit_table_column_index(env->links[ck->link].facts, n->s);
    if (c >= 0) {
      n->in_fact = true;
      n->col = c;
      n->type = column_vtype(segkit_column_type(segkit_table_column(env->links[ck->link].facts, (size_t)c)));
      return SEGKIT_OK;
    }
  }
  long c = segkit_table_column_index(env->customers, n->s);
  if (c >= 0 && strlen(n->s) == n->s_len) {
    n->in_fact = false;
    n->col = c;
    n->type = column_vtype(segkit_column_type(segkit_table_column(env->customers, (size_t)c)));
    return SEGKIT_OK;
  }
  if (sk__env_find_link(env, n->s, n->s_len) >= 0) {
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                    "'%s' is a linked table, not a field (expected an aggregate such as "
                    "count(%s) or exists(%s where ...))",
                    n->s, n->s, n->s);
  }
  bool in_where = ck->link >= 0 && !outer_only;
  sk__suggest sg;
  sk__suggest_init(&sg, n->s, n->s_len);
  if (in_where) {
    offer_columns(&sg, env->links[ck->link].facts);
  }
  offer_columns(&sg, env->customers);
  const char *where = in_where ? " in the where clause" : "";
  if (sg.best != NULL) {
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                    "unknown field '%s'%s (did you mean '%s'?)", n->s, where, sg.best);
  }
  return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                  "unknown field '%s'%s (expected a column of %s)", n->s, where,
                  in_where ? "the linked table or of the customers" : "the customers");
}

/* ---- operators ---------------------------------------------------------------------- */

static segkit_status check_unary(checker *ck, sk__node *n) {
  sk__node *a = n->args[0];
  if (n->op == SK__TK_NOT) {
    if (!is_bool(a->type)) {
      return sk__fail(ck->cx, SEGKIT_ERR_TYPE, a->pos, a->len,
                      "'not' operand is %s (expected bool)", sk__vtype_name(a->type));
    }
    n->type = SK__V_BOOL;
    return SEGKIT_OK;
  }
  if (!is_num(a->type) && a->type != SK__V_DURATION) {
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                    "unary '-' cannot apply to %s (expected a number or a duration)",
                    sk__vtype_name(a->type));
  }
  n->type = a->type;
  n->months = a->months != 0 ? -a->months : 0;
  return SEGKIT_OK;
}

static segkit_status bad_arith(checker *ck, const sk__node *n, const sk__node *a, const sk__node *b) {
  return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                  "'%s' cannot apply to %s and %s (expected numbers%s)", tok_text(n->op),
                  sk__vtype_name(a->type), sk__vtype_name(b->type),
                  n->op == SK__TK_PLUS    ? ", or a date/timestamp and a duration"
                  : n->op == SK__TK_MINUS ? ", a date/timestamp minus a duration, or two dates/timestamps"
                                          : "");
}

static segkit_status check_arith(checker *ck, sk__node *n) {
  sk__node *a = n->args[0];
  sk__node *b = n->args[1];
  sk__vtype ta = a->type;
  sk__vtype tb = b->type;
  if (is_num(ta) && is_num(tb)) {
    n->type = ta == SK__V_FLOAT || tb == SK__V_FLOAT ? SK__V_FLOAT
              : ta == SK__V_NULL && tb == SK__V_NULL ? SK__V_NULL
                                                      : SK__V_INT;
    return SEGKIT_OK;
  }
  if (n->op == SK__TK_STAR || n->op == SK__TK_SLASH) {
    return bad_arith(ck, n, a, b);
  }
  /* Temporal arithmetic. A calendar duration only ever appears as the right operand's
   * literal (or the left one of +), which the compiler turns into ADD_MONTHS. */
  bool plus = n->op == SK__TK_PLUS;
  if (is_time(ta) && tb == SK__V_DURATION) {
    n->type = ta == SK__V_DATE && calendar(b) ? SK__V_DATE : SK__V_TIMESTAMP;
    if (calendar(b) && b->kind != SK__N_LIT && !(b->kind == SK__N_UNARY && b->args[0]->kind == SK__N_LIT)) {
      return no_calendar(ck, b);
    }
    return SEGKIT_OK;
  }
  if (plus && ta == SK__V_DURATION && is_time(tb)) {
    if (calendar(a)) {
      return sk__fail(ck->cx, SEGKIT_ERR_TYPE, a->pos, a->len,
                      "write the date first when adding a calendar duration (expected "
                      "DATE + %.*s)", (int)a->len, ck->cx->text + a->pos);
    }
    n->type = SK__V_TIMESTAMP;
    return SEGKIT_OK;
  }
  if (!plus && is_time(ta) && is_time(tb) && (ta != SK__V_NULL || tb != SK__V_NULL)) {
    n->type = SK__V_DURATION;
    return SEGKIT_OK;
  }
  if ((ta == SK__V_DURATION || ta == SK__V_NULL) && (tb == SK__V_DURATION || tb == SK__V_NULL)) {
    segkit_status s = no_calendar(ck, a);
    if (s == SEGKIT_OK) {
      s = no_calendar(ck, b);
    }
    n->type = SK__V_DURATION;
    return s;
  }
  return bad_arith(ck, n, a, b);
}

static segkit_status check_binary(checker *ck, sk__node *n) {
  sk__node *a = n->args[0];
  sk__node *b = n->args[1];
  switch (n->op) {
  case SK__TK_AND:
  case SK__TK_OR:
    for (int k = 0; k < 2; k++) {
      sk__node *x = n->args[k];
      if (!is_bool(x->type)) {
        return sk__fail(ck->cx, SEGKIT_ERR_TYPE, x->pos, x->len,
                        "'%s' operand is %s (expected bool)", tok_text(n->op),
                        sk__vtype_name(x->type));
      }
    }
    n->type = SK__V_BOOL;
    return SEGKIT_OK;
  case SK__TK_EQ:
  case SK__TK_NE:
  case SK__TK_LT:
  case SK__TK_LE:
  case SK__TK_GT:
  case SK__TK_GE:
    n->type = SK__V_BOOL;
    return comparable(ck, n, tok_text(n->op), a, b);
  default:
    return check_arith(ck, n);
  }
}

/* Every value of a list (in, between, coalesce) must compare with the first that is not
 * the literal null: null in ("a", 1) is as wrong as "a" == 1. */
static segkit_status check_same_kind(checker *ck, sk__node *const *args, size_t n, const char *what) {
  const sk__node *ref = NULL;
  for (size_t k = 0; k < n; k++) {
    if (ref != NULL) {
      segkit_status s = comparable(ck, args[k], what, ref, args[k]);
      if (s != SEGKIT_OK) {
        return s;
      }
    } else {
      segkit_status s = no_calendar(ck, args[k]);
      if (s != SEGKIT_OK) {
        return s;
      }
    }
    if (ref == NULL && args[k]->type != SK__V_NULL) {
      ref = args[k];
    }
  }
  return SEGKIT_OK;
}

static segkit_status check_list(checker *ck, sk__node *n, const char *what) {
  n->type = SK__V_BOOL;
  return check_same_kind(ck, n->args, n->n_args, what);
}

/* ---- functions ------------------------------------------------------------------- */

static segkit_status arg_count(checker *ck, const sk__node *n, size_t lo, size_t hi) {
  if (n->n_args >= lo && n->n_args <= hi) {
    return SEGKIT_OK;
  }
  if (lo == hi) {
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                    "%s() takes %zu argument%s, got %zu", n->s, lo, lo == 1 ? "" : "s", n->n_args);
  }
  return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                  "%s() takes %zu to %zu arguments, got %zu", n->s, lo, hi, n->n_args);
}

static segkit_status arg_type(checker *ck, const sk__node *n, size_t k, bool ok,
                              const char *expected) {
  if (ok) {
    return SEGKIT_OK;
  }
  const sk__node *a = n->args[k];
  return sk__fail(ck->cx, SEGKIT_ERR_TYPE, a->pos, a->len,
                  "argument %zu of %s() is %s (expected %s)", k + 1, n->s,
                  sk__vtype_name(a->type), expected);
}

static segkit_status literal_string(checker *ck, const sk__node *n, size_t k, const char *what) {
  const sk__node *a = n->args[k];
  if (a->kind == SK__N_LIT && a->type == SK__V_STRING) {
    return SEGKIT_OK;
  }
  return sk__fail(ck->cx, SEGKIT_ERR_TYPE, a->pos, a->len,
                  "argument %zu of %s() must be a string literal (expected %s)", k + 1, n->s, what);
}

static segkit_status fold_time_literal(checker *ck, sk__node *n) {
  segkit_status s = arg_count(ck, n, 1, 1);
  if (s == SEGKIT_OK) {
    s = literal_string(ck, n, 0, n->func == SK__F_DATE ? "\"YYYY-MM-DD\"" : "\"YYYY-MM-DDTHH:MM:SSZ\"");
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  const sk__node *a = n->args[0];
  if (n->func == SK__F_DATE) {
    int32_t days = 0;
    if (!segkit_parse_date(a->s, a->s_len, &days)) {
      return sk__fail(ck->cx, SEGKIT_ERR_TYPE, a->pos, a->len,
                      "invalid date \"%s\" (expected \"YYYY-MM-DD\", a real day of years 1-9999)", a->s);
    }
    n->i = days;
    n->type = SK__V_DATE;
  } else {
    int64_t us = 0;
    if (!segkit_parse_timestamp(a->s, a->s_len, &us)) {
      return sk__fail(ck->cx, SEGKIT_ERR_TYPE, a->pos, a->len,
                      "invalid timestamp \"%s\" (expected ISO 8601, as \"2025-01-31T10:00:00Z\")", a->s);
    }
    n->i = us;
    n->type = SK__V_TIMESTAMP;
  }
  n->kind = SK__N_LIT;
  n->n_args = 0;
  return SEGKIT_OK;
}

static segkit_status add_segment_ref(checker *ck, sk__node *n) {
  const sk__node *a = n->args[0];
  sk__rule_info *info = ck->info;
  for (size_t i = 0; i < info->n_segment_refs; i++) {
    if (strcmp(info->segment_refs[i], a->s) == 0) {
      n->segment_ref = (int)i;
      return SEGKIT_OK;
    }
  }
  if (info->n_segment_refs == info->cap_segment_refs) {
    size_t cap = info->cap_segment_refs == 0 ? 4 : info->cap_segment_refs * 2;
    char **fresh = realloc(info->segment_refs, cap * sizeof *fresh);
    if (fresh == NULL) {
      return nomem(ck);
    }
    info->segment_refs = fresh;
    info->cap_segment_refs = cap;
  }
  char *copy = malloc(a->s_len + 1);
  if (copy == NULL) {
    return nomem(ck);
  }
  memcpy(copy, a->s, a->s_len + 1);
  n->segment_ref = (int)info->n_segment_refs;
  info->segment_refs[info->n_segment_refs++] = copy;
  return SEGKIT_OK;
}

/* A repetition of a repetition (a+*, a**; undefined in POSIX ERE) makes glibc's regcomp
 * spend minutes on its epsilon closures: refused. And glibc's regcomp copies the subtree
 * under every `+` and `{m,n}` (a{3} becomes aaa), so
 * repetitions multiply its size: "(a{1000}){1000}" builds a million nodes and 200 MB,
 * "a++++++++++++++++++++++++++++" two hundred million. This estimates that size the same
 * way (an atom is 1, a group the sum of its contents, `+` doubles what precedes it,
 * {m,n} multiplies it by max(m, n)) and refuses more than SK__MAX_REGEX_NODES, and more
 * than 1024 bytes. Inside [...] and after a backslash nothing is an operator. */
#define SK__MAX_REGEX_NODES 20000
#define SK__MAX_REGEX_DEPTH 64

static uint64_t sat_add(uint64_t a, uint64_t b) {
  return a > UINT64_MAX / 2 || b > UINT64_MAX / 2 ? UINT64_MAX / 2 : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b) {
  return b != 0 && a > (UINT64_MAX / 2) / b ? UINT64_MAX / 2 : a * b;
}

/* Largest number inside the braces at re[i] == '{' (0 when none); *end = the '}' or len. */
static uint64_t brace_bound(const char *re, size_t len, size_t i, size_t *end) {
  uint64_t bound = 0;
  size_t j = i + 1;
  while (j < len && re[j] != '}') {
    uint64_t v = 0;
    bool digits = false;
    while (j < len && re[j] >= '0' && re[j] <= '9') {
      v = v < 1000000 ? v * 10 + (uint64_t)(re[j] - '0') : v;
      digits = true;
      j++;
    }
    if (digits) {
      bound = v > bound ? v : bound;
    } else {
      j++;
    }
  }
  *end = j;
  return bound;
}

static bool regex_too_complex(const char *re, size_t len) {
  if (len > 1024) {
    return true;
  }
  uint64_t sums[SK__MAX_REGEX_DEPTH + 1] = {0};
  int depth = 0;
  uint64_t last = 0; /* size of the atom a quantifier would repeat */
  bool after_quantifier = false;
  for (size_t i = 0; i < len; i++) {
    char ch = re[i];
    bool quantifier = ch == '*' || ch == '+' || ch == '?' || ch == '{';
    if (quantifier && after_quantifier) {
      return true; /* a** or a+*: undefined in POSIX, and slow to compile in glibc */
    }
    after_quantifier = quantifier;
    if (ch == '\\' || ch == '[') {
      if (ch == '\\') {
        i++;
      } else {
        size_t j = i + 1;
        j += j < len && re[j] == '^';
        j += j < len && re[j] == ']';
        while (j < len && re[j] != ']') {
          j++;
        }
        i = j;
      }
      last = 1;
      sums[depth] = sat_add(sums[depth], 1);
    } else if (ch == '(') {
      if (++depth > SK__MAX_REGEX_DEPTH) {
        return true;
      }
      sums[depth] = 0;
      last = 0;
    } else if (ch == ')' && depth > 0) {
      last = sat_add(sums[depth], 1);
      depth--;
      sums[depth] = sat_add(sums[depth], last);
    } else if (ch == '+' || ch == '{') {
      uint64_t factor = 2;
      if (ch == '{') {
        factor = brace_bound(re, len, i, &i);
        factor = factor < 1 ? 1 : factor;
      }
      sums[depth] = sat_add(sums[depth], sat_mul(last, factor - 1));
      last = sat_mul(last, factor);
    } else if (ch == '|') {
      last = 0;
    } else if (ch != '*' && ch != '?') {
      last = 1;
      sums[depth] = sat_add(sums[depth], 1);
    }
    if (sums[depth] > SK__MAX_REGEX_NODES || last > SK__MAX_REGEX_NODES) {
      return true;
    }
  }
  return false;
}

/* Whether the pattern has a backreference (\1-\9): a glibc extension to POSIX ERE whose
 * matching is exponential ("(a*)*\1\1" takes seconds on 50 characters), refused. */
static bool regex_has_backreference(const char *re, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (re[i] == '[') {
      size_t j = i + 1;
      j += j < len && re[j] == '^';
      j += j < len && re[j] == ']';
      while (j < len && re[j] != ']') {
        j++;
      }
      i = j;
    } else if (re[i] == '\\' && i + 1 < len) {
      if (re[i + 1] >= '1' && re[i + 1] <= '9') {
        return true;
      }
      i++;
    }
  }
  return false;
}

static segkit_status add_regex(checker *ck, sk__node *n) {
  const sk__node *a = n->args[1];
  if (regex_has_backreference(a->s, a->s_len)) {
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, a->pos, a->len,
                    "backreferences are not supported in regular expressions (expected POSIX "
                    "extended syntax, without \\1-\\9)");
  }
  if (regex_too_complex(a->s, a->s_len)) {
    return sk__fail(ck->cx, SEGKIT_ERR_LIMIT, a->pos, a->len,
                    "regular expression too complex (expected at most 1024 bytes, no "
                    "repetition of a repetition such as a+*, and at most %d pattern nodes "
                    "once + and {m,n} are expanded)",
                    SK__MAX_REGEX_NODES);
  }
  sk__rule_info *info = ck->info;
  if (info->n_regexes == info->cap_regexes) {
    size_t cap = info->cap_regexes == 0 ? 2 : info->cap_regexes * 2;
    regex_t *fresh = realloc(info->regexes, cap * sizeof *fresh);
    if (fresh == NULL) {
      return nomem(ck);
    }
    info->regexes = fresh;
    info->cap_regexes = cap;
  }
  if (strlen(a->s) != a->s_len) {
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, a->pos, a->len,
                    "invalid regular expression (expected no NUL byte)");
  }
  int rc = regcomp(&info->regexes[info->n_regexes], a->s, REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char why[128];
    regerror(rc, &info->regexes[info->n_regexes], why, sizeof why);
    regfree(&info->regexes[info->n_regexes]);
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, a->pos, a->len,
                    "invalid regular expression: %s (expected POSIX extended syntax)", why);
  }
  n->regex = (int)info->n_regexes++;
  return SEGKIT_OK;
}

static segkit_status check_call(checker *ck, sk__node *n) {
  if (n->s_len == 3 && memcmp(n->s, "now", 3) == 0) {
    segkit_status s = arg_count(ck, n, 0, 0);
    n->kind = SK__N_NOW;
    n->type = SK__V_TIMESTAMP;
    return s;
  }
  if (!sk__func_lookup(n->s, n->s_len, &n->func)) {
    sk__suggest sg;
    sk__suggest_init(&sg, n->s, n->s_len);
    sk__offer_function_names(&sg);
    if (sg.best != NULL) {
      return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                      "unknown function '%s' (did you mean '%s'?)", n->s, sg.best);
    }
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                    "unknown function '%s' (expected one of the functions in docs/rules.md)", n->s);
  }
  if (n->func == SK__F_DATE || n->func == SK__F_TIMESTAMP) {
    return fold_time_literal(ck, n);
  }
  for (size_t k = 0; k < n->n_args; k++) {
    segkit_status s = check(ck, n->args[k]);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  segkit_status s = SEGKIT_OK;
  sk__vtype t0 = n->n_args > 0 ? n->args[0]->type : SK__V_NULL;
  switch (n->func) {
  case SK__F_STARTS_WITH:
  case SK__F_ENDS_WITH:
  case SK__F_CONTAINS:
  case SK__F_MATCHES:
    s = arg_count(ck, n, 2, 2);
    for (size_t k = 0; s == SEGKIT_OK && k < 2; k++) {
      sk__vtype t = n->args[k]->type;
      s = arg_type(ck, n, k, t == SK__V_STRING || t == SK__V_NULL, "string");
    }
    if (s == SEGKIT_OK && n->func == SK__F_MATCHES) {
      s = literal_string(ck, n, 1, "a POSIX extended regular expression, compiled once");
      if (s == SEGKIT_OK) {
        s = add_regex(ck, n);
      }
    }
    n->type = SK__V_BOOL;
    return s;
  case SK__F_LOWER:
  case SK__F_UPPER:
  case SK__F_LENGTH:
    s = arg_count(ck, n, 1, 1);
    if (s == SEGKIT_OK) {
      s = arg_type(ck, n, 0, t0 == SK__V_STRING || t0 == SK__V_NULL, "string");
    }
    n->type = n->func == SK__F_LENGTH ? SK__V_INT : SK__V_STRING;
    return s;
  case SK__F_ABS:
  case SK__F_ROUND:
    s = arg_count(ck, n, 1, n->func == SK__F_ROUND ? 2 : 1);
    if (s == SEGKIT_OK) {
      s = arg_type(ck, n, 0, is_num(t0), "a number");
    }
    if (s == SEGKIT_OK && n->n_args == 2) {
      const sk__node *d = n->args[1];
      if (d->kind != SK__N_LIT || d->type != SK__V_INT || d->i < 0 || d->i > 15) {
        return sk__fail(ck->cx, SEGKIT_ERR_TYPE, d->pos, d->len,
                        "argument 2 of round() must be a whole number literal 0-15 (expected "
                        "the number of decimals)");
      }
    }
    n->type = n->func == SK__F_ROUND && (n->n_args == 2 || t0 != SK__V_INT) ? SK__V_FLOAT
              : t0 == SK__V_NULL                                            ? SK__V_INT
                                                                            : t0;
    return s;
  case SK__F_DAYS_SINCE:
  case SK__F_YEAR:
  case SK__F_MONTH:
    s = arg_count(ck, n, 1, 1);
    if (s == SEGKIT_OK) {
      s = arg_type(ck, n, 0, is_time(t0), "a date or timestamp");
    }
    n->type = SK__V_INT;
    return s;
  case SK__F_COALESCE: {
    s = arg_count(ck, n, 1, 64);
    if (s == SEGKIT_OK) {
      s = check_same_kind(ck, n->args, n->n_args, "coalesce");
    }
    sk__vtype t = SK__V_NULL;
    for (size_t k = 0; s == SEGKIT_OK && k < n->n_args; k++) {
      t = unify(t, n->args[k]->type);
    }
    n->type = t;
    return s;
  }
  case SK__F_IN_SEGMENT:
    s = arg_count(ck, n, 1, 1);
    if (s == SEGKIT_OK) {
      s = literal_string(ck, n, 0, "a segment name");
    }
    if (s == SEGKIT_OK && ck->link >= 0) {
      s = sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                   "in_segment() cannot be used inside where (expected it outside the aggregate)");
    }
    if (s == SEGKIT_OK) {
      s = add_segment_ref(ck, n);
    }
    n->type = SK__V_BOOL;
    return s;
  default:
    return sk__fail(ck->cx, SEGKIT_ERR_INTERNAL, n->pos, n->len, "unhandled function");
  }
}

/* ---- aggregates ------------------------------------------------------------------- */

static segkit_status resolve_link(checker *ck, sk__node *n) {
  const segkit_rule_env *env = ck->cx->env;
  n->link = sk__env_find_link(env, n->table, n->table_len);
  if (n->link >= 0) {
    return SEGKIT_OK;
  }
  sk__suggest sg;
  sk__suggest_init(&sg, n->table, n->table_len);
  for (size_t i = 0; i < env->n_links; i++) {
    sk__suggest_offer(&sg, env->links[i].name);
  }
  uint32_t len = (uint32_t)n->table_len;
  if (sg.best != NULL) {
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->table_pos, len,
                    "unknown linked table '%s' (did you mean '%s'?)", n->table, sg.best);
  }
  if (env->n_links == 0) {
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->table_pos, len,
                    "unknown linked table '%s' (expected a table linked to the customers; none is)",
                    n->table);
  }
  return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->table_pos, len,
                  "unknown linked table '%s' (expected one of the linked tables, e.g. '%s')",
                  n->table, env->links[0].name);
}

static segkit_status resolve_agg_column(checker *ck, sk__node *n, sk__vtype *t) {
  const sk__link *l = &ck->cx->env->links[n->link];
  *t = SK__V_NULL;
  if (n->agg_col_name == NULL) {
    if (n->agg != SK__A_COUNT && n->agg != SK__A_EXISTS) {
      return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->table_pos, (uint32_t)n->table_len,
                      "%s() needs a column (expected %s(%s.COLUMN))", sk__agg_name(n->agg),
                      sk__agg_name(n->agg), n->table);
    }
    return SEGKIT_OK;
  }
  n->agg_col = segkit_table_column_index(l->facts, n->agg_col_name);
  if (n->agg_col < 0) {
    sk__suggest sg;
    sk__suggest_init(&sg, n->agg_col_name, n->agg_col_len);
    offer_columns(&sg, l->facts);
    uint32_t len = (uint32_t)n->agg_col_len;
    if (sg.best != NULL) {
      return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->agg_col_pos, len,
                      "unknown column '%s' in '%s' (did you mean '%s'?)", n->agg_col_name,
                      n->table, sg.best);
    }
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->agg_col_pos, len,
                    "unknown column '%s' in '%s' (expected a column of the linked table)",
                    n->agg_col_name, n->table);
  }
  *t = column_vtype(segkit_column_type(segkit_table_column(l->facts, (size_t)n->agg_col)));
  return SEGKIT_OK;
}

static segkit_status agg_type(checker *ck, sk__node *n, sk__vtype t) {
  const char *expected = NULL;
  switch (n->agg) {
  case SK__A_COUNT:
    n->type = SK__V_INT;
    return SEGKIT_OK;
  case SK__A_EXISTS:
    n->type = SK__V_BOOL;
    return SEGKIT_OK;
  case SK__A_SUM:
  case SK__A_AVG:
    if (t == SK__V_INT || t == SK__V_FLOAT) {
      n->type = n->agg == SK__A_AVG ? SK__V_FLOAT : t;
      return SEGKIT_OK;
    }
    expected = "an int64 or float64 column";
    break;
  default:
    if (t == SK__V_INT || t == SK__V_FLOAT || t == SK__V_DATE || t == SK__V_TIMESTAMP) {
      n->type = t;
      return SEGKIT_OK;
    }
    expected = "a number, date or timestamp column";
    break;
  }
  return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->agg_col_pos, (uint32_t)n->agg_col_len,
                  "%s() cannot aggregate %s column '%s' (expected %s)", sk__agg_name(n->agg),
                  sk__vtype_name(t), n->agg_col_name, expected);
}

static segkit_status check_agg(checker *ck, sk__node *n) {
  if (ck->link >= 0) {
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                    "aggregates cannot be nested inside where (expected columns of '%s')",
                    ck->cx->env->links[ck->link].name);
  }
  segkit_status s = resolve_link(ck, n);
  sk__vtype t = SK__V_NULL;
  if (s == SEGKIT_OK) {
    s = resolve_agg_column(ck, n, &t);
  }
  if (s == SEGKIT_OK) {
    s = agg_type(ck, n, t);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  const sk__link *l = &ck->cx->env->links[n->link];
  if ((n->has_window || n->agg == SK__A_FIRST || n->agg == SK__A_LAST) && l->time_col < 0) {
    return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->pos, n->len,
                    "'%s' has no time column (expected one given to segkit_rule_env_link for "
                    "%s)", l->name, n->has_window ? "a 'last DURATION' window" : "first() and last()");
  }
  if (n->where != NULL) {
    ck->link = n->link;
    s = check(ck, n->where);
    ck->link = -1;
    if (s != SEGKIT_OK) {
      return s;
    }
    if (!is_bool(n->where->type)) {
      return sk__fail(ck->cx, SEGKIT_ERR_TYPE, n->where->pos, n->where->len,
                      "where clause is %s (expected bool)", sk__vtype_name(n->where->type));
    }
  }
  sk__rule_info *info = ck->info;
  if (info->n_aggs == info->cap_aggs) {
    size_t cap = info->cap_aggs == 0 ? 4 : info->cap_aggs * 2;
    sk__node **fresh = realloc(info->aggs, cap * sizeof *fresh);
    if (fresh == NULL) {
      return nomem(ck);
    }
    info->aggs = fresh;
    info->cap_aggs = cap;
  }
  n->slot = (int)info->n_aggs;
  info->aggs[info->n_aggs++] = n;
  return SEGKIT_OK;
}

/* ---- walk ------------------------------------------------------------------------- */

static segkit_status check(checker *ck, sk__node *n) {
  switch (n->kind) {
  case SK__N_LIT:
  case SK__N_NOW:
    return SEGKIT_OK;
  case SK__N_FIELD:
    return check_field(ck, n);
  case SK__N_CALL:
    return check_call(ck, n);
  case SK__N_AGG:
    return check_agg(ck, n);
  default:
    break;
  }
  for (size_t k = 0; k < n->n_args; k++) {
    segkit_status s = check(ck, n->args[k]);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  switch (n->kind) {
  case SK__N_UNARY:
    return check_unary(ck, n);
  case SK__N_BINARY:
    return check_binary(ck, n);
  case SK__N_IN:
    return check_list(ck, n, n->negate ? "not in" : "in");
  case SK__N_BETWEEN:
    return check_list(ck, n, n->negate ? "not between" : "between");
  default: /* SK__N_ISNULL */
    n->type = SK__V_BOOL;
    return no_calendar(ck, n->args[0]);
  }
}

segkit_status sk__check(sk__ctx *cx, sk__node *root, sk__rule_info *info) {
  checker ck = {.cx = cx, .info = info, .link = -1};
  segkit_status s = check(&ck, root);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (!is_bool(root->type)) {
    return sk__fail(cx, SEGKIT_ERR_TYPE, root->pos, root->len,
                    "the rule is %s (expected bool: a condition such as x > 1)",
                    sk__vtype_name(root->type));
  }
  return SEGKIT_OK;
}
