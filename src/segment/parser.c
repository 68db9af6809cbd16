/* Parser of the rule language: recursive descent over the token array into an AST in the
 * rule's arena. Precedence, loosest first: or; and; not; comparisons, in, between, is null
 * (not chainable: a < b < c is an error); + -; * /; unary minus; primary. Aggregates are
 * parsed by name because their arguments are not expressions (count(events where ...,
 * last 90d)); used(...) is sugar expanded here into exists(events where feature == ...).
 * Depth is counted so that hostile input cannot exhaust the stack (limit 256). */
#include <string.h>

#include "segment/segment_int.h"

typedef struct parser {
  sk__ctx *cx;
  const sk__token *t;
  size_t n, i;
  int depth;
} parser;

static segkit_status parse_expr(parser *p, sk__node **out);
static segkit_status parse_additive(parser *p, sk__node **out);

static const sk__token *peek(const parser *p) {
  return &p->t[p->i];
}

static const sk__token *peek2(const parser *p) {
  return p->i + 1 < p->n ? &p->t[p->i + 1] : &p->t[p->n - 1];
}

static const sk__token *next(parser *p) {
  const sk__token *t = &p->t[p->i];
  if (t->kind != SK__TK_EOF) {
    p->i++;
  }
  return t;
}

static bool is_word(const sk__token *t, const char *w) {
  return t->kind == SK__TK_IDENT && t->text_len == strlen(w) && memcmp(t->text, w, t->text_len) == 0;
}

static sk__node *new_node(parser *p, sk__node_kind kind, const sk__token *at) {
  sk__node *n = sk__arena_alloc(&p->cx->arena, sizeof *n);
  if (n == NULL) {
    return NULL;
  }
  n->kind = kind;
  n->pos = at->pos;
  n->len = at->len;
  n->col = -1;
  n->agg_col = -1;
  n->link = -1;
  n->segment_ref = -1;
  n->regex = -1;
  return n;
}

static segkit_status nomem(parser *p) {
  return segkit_error_set(p->cx->err, SEGKIT_ERR_NOMEM, "out of memory");
}

/* "unexpected X (expected Y)" at the current token. */
static segkit_status unexpected(parser *p, const char *expected) {
  const sk__token *t = peek(p);
  if (t->kind == SK__TK_EOF) {
    return sk__fail(p->cx, SEGKIT_ERR_PARSE, t->pos, 1, "unexpected end of rule (expected %s)",
                    expected);
  }
  return sk__fail(p->cx, SEGKIT_ERR_PARSE, t->pos, t->len, "unexpected '%.*s' (expected %s)",
                  (int)t->len, p->cx->text + t->pos, expected);
}

static segkit_status expect(parser *p, sk__tok_kind kind, const char *expected) {
  if (peek(p)->kind != kind) {
    return unexpected(p, expected);
  }
  next(p);
  return SEGKIT_OK;
}

static segkit_status enter(parser *p) {
  if (++p->depth > SK__MAX_DEPTH) {
    const sk__token *t = peek(p);
    return sk__fail(p->cx, SEGKIT_ERR_LIMIT, t->pos, t->len,
                    "rule nested too deeply (expected at most %d levels)", SK__MAX_DEPTH);
  }
  return SEGKIT_OK;
}

static segkit_status too_long(parser *p, const sk__token *at) {
  return sk__fail(p->cx, SEGKIT_ERR_LIMIT, at->pos, at->len,
                  "rule has too long a chain of operators (expected at most %d in a row)",
                  SK__MAX_HEIGHT);
}

static bool add_arg(parser *p, sk__node *n, sk__node *arg, size_t *cap) {
  if (n->n_args == *cap) {
    size_t c = *cap == 0 ? 4 : *cap * 2;
    sk__node **fresh = sk__arena_alloc(&p->cx->arena, c * sizeof *fresh);
    if (fresh == NULL) {
      return false;
    }
    if (n->n_args > 0) {
      memcpy(fresh, n->args, n->n_args * sizeof *fresh);
    }
    n->args = fresh;
    *cap = c;
  }
  n->args[n->n_args++] = arg;
  if (arg->depth + 1 > n->depth) {
    n->depth = arg->depth + 1;
  }
  return true;
}

static sk__node *binary(parser *p, int op, const sk__token *at, sk__node *l, sk__node *r) {
  sk__node *n = new_node(p, SK__N_BINARY, at);
  if (n == NULL) {
    return NULL;
  }
  size_t cap = 0;
  n->op = op;
  if (!add_arg(p, n, l, &cap) || !add_arg(p, n, r, &cap)) {
    return NULL;
  }
  n->depth = (l->depth > r->depth ? l->depth : r->depth) + 1;
  return n;
}

/* ---- aggregates and used() ----------------------------------------------------------- */

/* , last 90d */
static segkit_status parse_window(parser *p, sk__node *agg) {
  if (peek(p)->kind != SK__TK_COMMA) {
    return SEGKIT_OK;
  }
  next(p);
  if (!is_word(peek(p), "last")) {
    return unexpected(p, "'last' and a duration, as in last 90d");
  }
  next(p);
  const sk__token *d = peek(p);
  if (d->kind != SK__TK_DURATION) {
    return unexpected(p, "a duration after 'last', as in last 90d");
  }
  if (d->months != 0) {
    return sk__fail(p->cx, SEGKIT_ERR_PARSE, d->pos, d->len,
                    "a window must be an exact duration (expected s, min, h, d or w; "
                    "6mo is a calendar span)");
  }
  next(p);
  agg->has_window = true;
  agg->window_us = d->i;
  return SEGKIT_OK;
}

static segkit_status parse_name(parser *p, const char **name, size_t *len, uint32_t *pos,
                                const char *expected) {
  const sk__token *t = peek(p);
  if (t->kind != SK__TK_IDENT && t->kind != SK__TK_QIDENT) {
    return unexpected(p, expected);
  }
  next(p);
  *name = t->text;
  *len = t->text_len;
  *pos = t->pos;
  return SEGKIT_OK;
}

static segkit_status parse_agg(parser *p, const sk__token *fn, sk__agg_kind kind, sk__node **out) {
  sk__node *n = new_node(p, SK__N_AGG, fn);
  if (n == NULL) {
    return nomem(p);
  }
  n->agg = kind;
  n->s = fn->text;
  n->s_len = fn->text_len;
  segkit_status s = parse_name(p, &n->table, &n->table_len, &n->table_pos,
                               kind == SK__A_COUNT || kind == SK__A_EXISTS
                                   ? "a linked table, as in count(events)"
                                   : "a linked table's column, as in sum(transactions.amount)");
  if (s != SEGKIT_OK) {
    return s;
  }
  if (peek(p)->kind == SK__TK_DOT) {
    next(p);
    s = parse_name(p, &n->agg_col_name, &n->agg_col_len, &n->agg_col_pos,
                   "a column name after the dot");
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  if (is_word(peek(p), "where")) {
    next(p);
    s = parse_expr(p, &n->where);
    if (s != SEGKIT_OK) {
      return s;
    }
    n->depth = n->where->depth + 1;
  }
  s = parse_window(p, n);
  if (s != SEGKIT_OK) {
    return s;
  }
  s = expect(p, SK__TK_RPAREN, n->where == NULL ? "')', 'where' or ', last DURATION'" : "')' or ', last DURATION'");
  if (s != SEGKIT_OK) {
    return s;
  }
  n->len = p->t[p->i - 1].pos + 1 - n->pos;
  *out = n;
  return SEGKIT_OK;
}

static sk__node *field_node(parser *p, const sk__token *at, const char *name) {
  sk__node *f = new_node(p, SK__N_FIELD, at);
  if (f == NULL) {
    return NULL;
  }
  f->s = name;
  f->s_len = strlen(name);
  return f;
}

/* used("x") = exists(events where feature == "x");
 * used("x", last 30d) adds the window;
 * used("x", within 30d of signup) = exists(events where feature == "x"
 *                                      and ts >= signup and ts <= signup + 30d)
 * with ts the time column events was linked with. */
static segkit_status parse_used(parser *p, const sk__token *fn, sk__node **out) {
  const segkit_rule_env *env = p->cx->env;
  int link = sk__env_find_link(env, "events", 6);
  if (link < 0 || segkit_table_column_index(env->links[link].facts, "feature") < 0) {
    return sk__fail(p->cx, SEGKIT_ERR_TYPE, fn->pos, fn->len,
                    "used() needs a linked table 'events' with a column 'feature' (expected "
                    "exists(TABLE where ...) otherwise)");
  }
  const sk__token *name = peek(p);
  if (name->kind != SK__TK_STRING) {
    return unexpected(p, "a feature name as a string, as in used(\"export\")");
  }
  next(p);
  sk__node *agg = new_node(p, SK__N_AGG, fn);
  sk__node *feat = field_node(p, name, "feature");
  sk__node *lit = new_node(p, SK__N_LIT, name);
  if (agg == NULL || feat == NULL || lit == NULL) {
    return nomem(p);
  }
  agg->agg = SK__A_EXISTS;
  agg->s = "exists";
  agg->s_len = 6;
  agg->table = "events";
  agg->table_len = 6;
  agg->table_pos = fn->pos;
  lit->type = SK__V_STRING;
  lit->s = name->text;
  lit->s_len = name->text_len;
  agg->where = binary(p, SK__TK_EQ, name, feat, lit);
  if (agg->where == NULL) {
    return nomem(p);
  }
  if (peek(p)->kind == SK__TK_COMMA && is_word(peek2(p), "within")) {
    next(p);
    next(p);
    const sk__token *d = peek(p);
    if (d->kind != SK__TK_DURATION) {
      return unexpected(p, "a duration after 'within', as in within 30d of signup");
    }
    next(p);
    if (!is_word(peek(p), "of")) {
      return unexpected(p, "'of' and a date field, as in within 30d of signup");
    }
    next(p);
    const char *anchor = NULL;
    size_t anchor_len = 0;
    uint32_t anchor_pos = 0;
    const sk__token *at = peek(p);
    segkit_status s = parse_name(p, &anchor, &anchor_len, &anchor_pos, "a date or timestamp field");
    if (s != SEGKIT_OK) {
      return s;
    }
    long tcol = env->links[link].time_col;
    if (tcol < 0) {
      return sk__fail(p->cx, SEGKIT_ERR_TYPE, fn->pos, fn->len,
                      "used(..., within ...) needs 'events' linked with a time column "
                      "(expected a time column in segkit_rule_env_link)");
    }
    const char *ts_name = segkit_column_name(segkit_table_column(env->links[link].facts, (size_t)tcol));
    sk__node *ts1 = field_node(p, d, ts_name);
    sk__node *ts2 = field_node(p, d, ts_name);
    sk__node *a1 = field_node(p, at, anchor);
    sk__node *a2 = field_node(p, at, anchor);
    sk__node *dur = new_node(p, SK__N_LIT, d);
    if (ts1 == NULL || ts2 == NULL || a1 == NULL || a2 == NULL || dur == NULL) {
      return nomem(p);
    }
    a1->s_len = a2->s_len = anchor_len;
    /* The anchor is a customer field even if the fact table has a column of that name. */
    a1->in_fact = a2->in_fact = false;
    a1->negate = a2->negate = true; /* marks "outer only" for the checker */
    dur->type = SK__V_DURATION;
    dur->i = d->i;
    dur->months = d->months;
    sk__node *upper = binary(p, SK__TK_PLUS, d, a2, dur);
    sk__node *ge = binary(p, SK__TK_GE, d, ts1, a1);
    sk__node *le = upper != NULL ? binary(p, SK__TK_LE, d, ts2, upper) : NULL;
    sk__node *both = ge != NULL && le != NULL ? binary(p, SK__TK_AND, d, ge, le) : NULL;
    agg->where = both != NULL ? binary(p, SK__TK_AND, d, agg->where, both) : NULL;
    if (agg->where == NULL) {
      return nomem(p);
    }
  } else {
    segkit_status s = parse_window(p, agg);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  segkit_status s = expect(p, SK__TK_RPAREN, "')' or ', within DURATION of FIELD' or ', last DURATION'");
  if (s != SEGKIT_OK) {
    return s;
  }
  agg->len = p->t[p->i - 1].pos + 1 - agg->pos;
  *out = agg;
  return SEGKIT_OK;
}

/* ---- expressions ------------------------------------------------------------------- */

static segkit_status parse_call(parser *p, const sk__token *fn, sk__node **out) {
  next(p); /* ( */
  sk__agg_kind agg;
  if (sk__agg_lookup(fn->text, fn->text_len, &agg)) {
    return parse_agg(p, fn, agg, out);
  }
  if (fn->text_len == 4 && memcmp(fn->text, "used", 4) == 0) {
    return parse_used(p, fn, out);
  }
  sk__node *n = new_node(p, SK__N_CALL, fn);
  if (n == NULL) {
    return nomem(p);
  }
  n->s = fn->text;
  n->s_len = fn->text_len;
  size_t cap = 0;
  if (peek(p)->kind != SK__TK_RPAREN) {
    for (;;) {
      sk__node *arg = NULL;
      segkit_status s = parse_expr(p, &arg);
      if (s != SEGKIT_OK) {
        return s;
      }
      if (!add_arg(p, n, arg, &cap)) {
        return nomem(p);
      }
      if (peek(p)->kind != SK__TK_COMMA) {
        break;
      }
      next(p);
    }
  }
  segkit_status s = expect(p, SK__TK_RPAREN, "',' or ')' after a function argument");
  if (s != SEGKIT_OK) {
    return s;
  }
  *out = n;
  return SEGKIT_OK;
}

static segkit_status parse_primary(parser *p, sk__node **out) {
  const sk__token *t = peek(p);
  sk__node *n = NULL;
  switch (t->kind) {
  case SK__TK_INT:
  case SK__TK_FLOAT:
  case SK__TK_STRING:
  case SK__TK_DURATION:
  case SK__TK_TRUE:
  case SK__TK_FALSE:
  case SK__TK_NULL:
    n = new_node(p, SK__N_LIT, t);
    if (n == NULL) {
      return nomem(p);
    }
    next(p);
    n->type = t->kind == SK__TK_INT        ? SK__V_INT
              : t->kind == SK__TK_FLOAT    ? SK__V_FLOAT
              : t->kind == SK__TK_STRING   ? SK__V_STRING
              : t->kind == SK__TK_DURATION ? SK__V_DURATION
              : t->kind == SK__TK_NULL     ? SK__V_NULL
                                           : SK__V_BOOL;
    n->i = t->kind == SK__TK_TRUE ? 1 : t->i;
    n->months = t->months;
    n->f = t->f;
    n->s = t->text;
    n->s_len = t->text_len;
    *out = n;
    return SEGKIT_OK;
  case SK__TK_LPAREN: {
    next(p);
    segkit_status s = parse_expr(p, out);
    if (s != SEGKIT_OK) {
      return s;
    }
    return expect(p, SK__TK_RPAREN, "')'");
  }
  case SK__TK_IDENT:
  case SK__TK_QIDENT:
    next(p);
    if (t->kind == SK__TK_IDENT && peek(p)->kind == SK__TK_LPAREN) {
      return parse_call(p, t, out);
    }
    if (peek(p)->kind == SK__TK_DOT) {
      return sk__fail(p->cx, SEGKIT_ERR_PARSE, t->pos, peek(p)->pos + 1 - t->pos,
                      "a linked table's column can only be used inside an aggregate "
                      "(expected sum(%.*s.COLUMN), last(...), ... or `%.*s.name` for a field "
                      "with a dot)",
                      (int)t->text_len, t->text, (int)t->text_len, t->text);
    }
    n = new_node(p, SK__N_FIELD, t);
    if (n == NULL) {
      return nomem(p);
    }
    n->s = t->text;
    n->s_len = t->text_len;
    *out = n;
    return SEGKIT_OK;
  default:
    return unexpected(p, "an expression");
  }
}

static segkit_status parse_unary(parser *p, sk__node **out) {
  if (peek(p)->kind != SK__TK_MINUS) {
    return parse_primary(p, out);
  }
  const sk__token *op = next(p);
  segkit_status s = enter(p);
  if (s != SEGKIT_OK) {
    return s;
  }
  sk__node *arg = NULL;
  s = parse_unary(p, &arg);
  p->depth--;
  if (s != SEGKIT_OK) {
    return s;
  }
  sk__node *n = new_node(p, SK__N_UNARY, op);
  if (n == NULL) {
    return nomem(p);
  }
  size_t cap = 0;
  n->op = SK__TK_MINUS;
  if (!add_arg(p, n, arg, &cap)) {
    return nomem(p);
  }
  *out = n;
  return SEGKIT_OK;
}

static segkit_status parse_binary_level(parser *p, sk__node **out, int level) {
  segkit_status s = level == 1 ? parse_unary(p, out) : parse_binary_level(p, out, 1);
  if (s != SEGKIT_OK) {
    return s;
  }
  for (;;) {
    sk__tok_kind k = peek(p)->kind;
    bool match = level == 1 ? (k == SK__TK_STAR || k == SK__TK_SLASH)
                            : (k == SK__TK_PLUS || k == SK__TK_MINUS);
    if (!match) {
      return SEGKIT_OK;
    }
    const sk__token *op = next(p);
    sk__node *r = NULL;
    s = level == 1 ? parse_unary(p, &r) : parse_binary_level(p, &r, 1);
    if (s != SEGKIT_OK) {
      return s;
    }
    *out = binary(p, (int)k, op, *out, r);
    if (*out == NULL) {
      return nomem(p);
    }
    if ((*out)->depth > SK__MAX_HEIGHT) {
      return too_long(p, op);
    }
  }
}

static segkit_status parse_additive(parser *p, sk__node **out) {
  return parse_binary_level(p, out, 2);
}

static bool is_comparison(sk__tok_kind k) {
  return k == SK__TK_EQ || k == SK__TK_NE || k == SK__TK_LT || k == SK__TK_LE ||
         k == SK__TK_GT || k == SK__TK_GE;
}

static segkit_status parse_in_list(parser *p, sk__node *n, size_t *cap) {
  segkit_status s = expect(p, SK__TK_LPAREN, "'(' and a list of values after in");
  if (s != SEGKIT_OK) {
    return s;
  }
  for (;;) {
    sk__node *v = NULL;
    s = parse_additive(p, &v);
    if (s != SEGKIT_OK) {
      return s;
    }
    if (!add_arg(p, n, v, cap)) {
      return nomem(p);
    }
    if (peek(p)->kind != SK__TK_COMMA) {
      break;
    }
    next(p);
  }
  return expect(p, SK__TK_RPAREN, "',' or ')' in the list after in");
}

static segkit_status parse_comparison(parser *p, sk__node **out) {
  sk__node *l = NULL;
  segkit_status s = parse_additive(p, &l);
  if (s != SEGKIT_OK) {
    return s;
  }
  const sk__token *op = peek(p);
  if (is_comparison(op->kind)) {
    next(p);
    sk__node *r = NULL;
    s = parse_additive(p, &r);
    if (s != SEGKIT_OK) {
      return s;
    }
    if (is_comparison(peek(p)->kind)) {
      const sk__token *t = peek(p);
      return sk__fail(p->cx, SEGKIT_ERR_PARSE, t->pos, t->len,
                      "comparisons do not chain (expected 'and' between two comparisons)");
    }
    *out = binary(p, (int)op->kind, op, l, r);
    return *out == NULL ? nomem(p) : SEGKIT_OK;
  }
  if (op->kind == SK__TK_IS) {
    next(p);
    bool negate = false;
    if (peek(p)->kind == SK__TK_NOT) {
      next(p);
      negate = true;
    }
    s = expect(p, SK__TK_NULL, negate ? "null after 'is not'" : "null or not null after 'is'");
    if (s != SEGKIT_OK) {
      return s;
    }
    sk__node *n = new_node(p, SK__N_ISNULL, op);
    size_t cap = 0;
    if (n == NULL || !add_arg(p, n, l, &cap)) {
      return nomem(p);
    }
    n->negate = negate;
    *out = n;
    return SEGKIT_OK;
  }
  bool negate = false;
  if (op->kind == SK__TK_NOT && (peek2(p)->kind == SK__TK_IN || peek2(p)->kind == SK__TK_BETWEEN)) {
    next(p);
    negate = true;
  }
  const sk__token *kw = peek(p);
  if (kw->kind != SK__TK_IN && kw->kind != SK__TK_BETWEEN) {
    *out = l;
    return SEGKIT_OK;
  }
  next(p);
  sk__node *n = new_node(p, kw->kind == SK__TK_IN ? SK__N_IN : SK__N_BETWEEN, negate ? op : kw);
  size_t cap = 0;
  if (n == NULL || !add_arg(p, n, l, &cap)) {
    return nomem(p);
  }
  n->negate = negate;
  if (negate) {
    n->len = kw->pos + kw->len - op->pos;
  }
  if (kw->kind == SK__TK_IN) {
    s = parse_in_list(p, n, &cap);
  } else {
    sk__node *lo = NULL;
    sk__node *hi = NULL;
    s = parse_additive(p, &lo);
    if (s == SEGKIT_OK) {
      s = expect(p, SK__TK_AND, "'and' in between LOW and HIGH");
    }
    if (s == SEGKIT_OK) {
      s = parse_additive(p, &hi);
    }
    if (s == SEGKIT_OK && (!add_arg(p, n, lo, &cap) || !add_arg(p, n, hi, &cap))) {
      return nomem(p);
    }
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  *out = n;
  return SEGKIT_OK;
}

static segkit_status parse_not(parser *p, sk__node **out) {
  if (peek(p)->kind != SK__TK_NOT) {
    return parse_comparison(p, out);
  }
  const sk__token *op = next(p);
  segkit_status s = enter(p);
  if (s != SEGKIT_OK) {
    return s;
  }
  sk__node *arg = NULL;
  s = parse_not(p, &arg);
  p->depth--;
  if (s != SEGKIT_OK) {
    return s;
  }
  sk__node *n = new_node(p, SK__N_UNARY, op);
  size_t cap = 0;
  if (n == NULL || !add_arg(p, n, arg, &cap)) {
    return nomem(p);
  }
  n->op = SK__TK_NOT;
  *out = n;
  return SEGKIT_OK;
}

static segkit_status parse_logic(parser *p, sk__node **out, sk__tok_kind op_kind) {
  segkit_status s = op_kind == SK__TK_OR ? parse_logic(p, out, SK__TK_AND) : parse_not(p, out);
  if (s != SEGKIT_OK) {
    return s;
  }
  while (peek(p)->kind == op_kind) {
    const sk__token *op = next(p);
    sk__node *r = NULL;
    s = op_kind == SK__TK_OR ? parse_logic(p, &r, SK__TK_AND) : parse_not(p, &r);
    if (s != SEGKIT_OK) {
      return s;
    }
    *out = binary(p, (int)op_kind, op, *out, r);
    if (*out == NULL) {
      return nomem(p);
    }
    if ((*out)->depth > SK__MAX_HEIGHT) {
      return too_long(p, op);
    }
  }
  return SEGKIT_OK;
}

static segkit_status parse_expr(parser *p, sk__node **out) {
  segkit_status s = enter(p);
  if (s != SEGKIT_OK) {
    return s;
  }
  const sk__token *start = peek(p);
  s = parse_logic(p, out, SK__TK_OR);
  p->depth--;
  if (s == SEGKIT_OK && (*out)->depth > SK__MAX_HEIGHT) {
    return too_long(p, start);
  }
  return s;
}

segkit_status sk__parse(sk__ctx *cx, const sk__token *toks, size_t n_toks, sk__node **out) {
  parser p = {.cx = cx, .t = toks, .n = n_toks};
  if (toks[0].kind == SK__TK_EOF) {
    return sk__fail(cx, SEGKIT_ERR_PARSE, 0, 1, "empty rule (expected an expression)");
  }
  sk__node *root = NULL;
  segkit_status s = parse_expr(&p, &root);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (peek(&p)->kind != SK__TK_EOF) {
    return unexpected(&p, "'and', 'or' or the end of the rule");
  }
  *out = root;
  return SEGKIT_OK;
}
