/* Compiler from the typed AST to register bytecode. Each instruction works on a whole
 * batch (SK__BATCH rows) of a register: values plus a validity byte per row, so the
 * evaluator's inner loops are flat and branch-free. Registers are recycled once their
 * value is consumed (a free list), so memory is bounded by the tree's width, not its size.
 * The hot shape of a rule, "column <op> constant", compiles to one fused CMPC instruction
 * that reads the column in place; for string columns every comparison, in-list and
 * equality becomes a lookup in a table indexed by dictionary code, built here once. */
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segment/segment_int.h"

typedef struct compiler {
  const segkit_rule_env *env;
  const sk__rule_info *info;
  sk__program *p;
  bool fact;
  int link;
  int *free_regs;
  int n_free, cap_free;
  bool failed;
  bool internal; /* failed on a type the checker should have refused, not on memory */
  sk__insn sink; /* written instead of the program once out of memory */
  /* Dictionary folding (fold_over_dictionary): this compiler builds the program that runs
   * over the entries of one string column, read by LOAD_DICT; no folding inside it. */
  const sk__node *dict_field;
} compiler;

static sk__rkind kind_of(sk__vtype t) {
  switch (t) {
  case SK__V_BOOL: return SK__R_BOOL;
  case SK__V_FLOAT: return SK__R_F64;
  case SK__V_STRING: return SK__R_STR;
  default: return SK__R_I64;
  }
}

static int new_reg(compiler *c, sk__rkind k) {
  if (c->n_free > 0) {
    int r = c->free_regs[--c->n_free];
    c->p->reg_kind[r] = k;
    return r;
  }
  sk__program *p = c->p;
  if (p->n_regs == p->cap_regs) {
    int cap = p->cap_regs == 0 ? 16 : p->cap_regs * 2;
    sk__rkind *fresh = realloc(p->reg_kind, (size_t)cap * sizeof *fresh);
    int *fr = realloc(c->free_regs, (size_t)cap * sizeof *fr);
    if (fresh != NULL) {
      p->reg_kind = fresh;
    }
    if (fr != NULL) {
      c->free_regs = fr;
    }
    if (fresh == NULL || fr == NULL) {
      c->failed = true;
      return 0;
    }
    p->cap_regs = cap;
    c->cap_free = cap;
  }
  p->reg_kind[p->n_regs] = k;
  return p->n_regs++;
}

static void release(compiler *c, int r) {
  if (!c->failed && c->n_free < c->cap_free) {
    c->free_regs[c->n_free++] = r;
  }
}

static sk__insn *emit(compiler *c, sk__op op, int dst) {
  sk__program *p = c->p;
  if (p->n_code == p->cap_code) {
    size_t cap = p->cap_code == 0 ? 16 : p->cap_code * 2;
    sk__insn *fresh = realloc(p->code, cap * sizeof *fresh);
    if (fresh == NULL) {
      c->failed = true;
      memset(&c->sink, 0, sizeof c->sink);
      return &c->sink;
    }
    p->code = fresh;
    p->cap_code = cap;
  }
  sk__insn *in = &p->code[p->n_code++];
  memset(in, 0, sizeof *in);
  in->op = op;
  in->dst = dst;
  in->kind = p->reg_kind[dst];
  return in;
}

static int *arg_array(compiler *c, int n) {
  int *a = calloc((size_t)(n > 0 ? n : 1), sizeof *a);
  if (a == NULL) {
    c->failed = true;
  }
  return a;
}

/* ---- constants -------------------------------------------------------------------- */

/* A node whose value is the same on every row, computed here: literals, now(), and
 * date/time arithmetic on them (now() - 14d). */
typedef struct cval {
  sk__vtype type;
  bool valid;
  int64_t i;
  double f;
  const char *s;
  size_t s_len;
} cval;

static bool const_value(const compiler *c, const sk__node *n, cval *out) {
  memset(out, 0, sizeof *out);
  out->type = n->type;
  if (n->kind == SK__N_LIT) {
    out->valid = n->type != SK__V_NULL && n->months == 0;
    out->i = n->i;
    out->f = n->f;
    out->s = n->s;
    out->s_len = n->s_len;
    return n->months == 0;
  }
  if (n->kind == SK__N_NOW) {
    out->valid = true;
    out->i = c->env->now_us;
    return true;
  }
  if (n->kind == SK__N_BINARY && (n->op == SK__TK_PLUS || n->op == SK__TK_MINUS) &&
      n->type == SK__V_TIMESTAMP) {
    cval a;
    cval b;
    const sk__node *l = n->args[0];
    const sk__node *r = n->args[1];
    if (l->type != SK__V_TIMESTAMP || r->type != SK__V_DURATION || r->months != 0 ||
        !const_value(c, l, &a) || !const_value(c, r, &b)) {
      return false;
    }
    out->valid = a.valid && b.valid;
    int64_t v = 0;
    bool ovf = n->op == SK__TK_PLUS ? __builtin_add_overflow(a.i, b.i, &v)
                                    : __builtin_sub_overflow(a.i, b.i, &v);
    out->valid = out->valid && !ovf;
    out->i = v;
    return true;
  }
  return false;
}

static int emit_const(compiler *c, const cval *v, sk__vtype as) {
  int r = new_reg(c, kind_of(as));
  sk__insn *in = emit(c, SK__OP_CONST, r);
  in->imm = v->i;
  in->fimm = v->f;
  in->a = v->valid ? 1 : 0;
  if (as == SK__V_FLOAT && v->type == SK__V_INT) {
    in->fimm = (double)v->i;
  }
  if (as == SK__V_TIMESTAMP && v->type == SK__V_DATE) {
    in->imm = v->i * SEGKIT_US_PER_DAY;
  }
  if (as == SK__V_STRING) {
    in->imm = (int64_t)v->s_len;
    in->str = v->s; /* borrowed from the rule's arena */
  }
  return r;
}

/* ---- expressions ------------------------------------------------------------------- */

static int expr(compiler *c, const sk__node *n);

/* Value of n as type `as` (int -> float, date -> timestamp, null -> anything). */
static int expr_as(compiler *c, const sk__node *n, sk__vtype as) {
  if (n->type == SK__V_NULL) {
    cval v = {.type = as};
    return emit_const(c, &v, as);
  }
  int r = expr(c, n);
  if (n->type == as || c->failed) {
    return r;
  }
  if (!(as == SK__V_FLOAT && n->type == SK__V_INT) &&
      !(as == SK__V_TIMESTAMP && n->type == SK__V_DATE)) {
    /* The checker admits no other conversion; refuse rather than misread a register. */
    c->failed = true;
    c->internal = true;
    return r;
  }
  int d = new_reg(c, kind_of(as));
  if (as == SK__V_FLOAT) {
    emit(c, SK__OP_CAST_F, d)->a = r;
  } else {
    emit(c, SK__OP_DATE_TO_TS, d)->a = r;
  }
  release(c, r);
  return d;
}

/* The type both sides of a comparison are brought to, and the CMP kind. */
static sk__vtype compare_type(sk__vtype a, sk__vtype b, int64_t *kind) {
  sk__vtype t = a == SK__V_NULL ? b : a;
  if (a == SK__V_FLOAT || b == SK__V_FLOAT) {
    t = SK__V_FLOAT; /* int64 with float64 */
  } else if ((a == SK__V_DATE && b == SK__V_TIMESTAMP) || (a == SK__V_TIMESTAMP && b == SK__V_DATE)) {
    t = SK__V_TIMESTAMP;
  }
  *kind = t == SK__V_FLOAT ? 1 : t == SK__V_STRING ? 2 : t == SK__V_BOOL ? 3 : 0;
  return t;
}

static int flip(int op) {
  switch (op) {
  case SK__TK_LT: return SK__TK_GT;
  case SK__TK_LE: return SK__TK_GE;
  case SK__TK_GT: return SK__TK_LT;
  case SK__TK_GE: return SK__TK_LE;
  default: return op;
  }
}

static bool cmp_result(int op, int c3) {
  switch (op) {
  case SK__TK_EQ: return c3 == 0;
  case SK__TK_NE: return c3 != 0;
  case SK__TK_LT: return c3 < 0;
  case SK__TK_LE: return c3 <= 0;
  case SK__TK_GT: return c3 > 0;
  default: return c3 >= 0;
  }
}

static const segkit_column *field_column(const compiler *c, const sk__node *f) {
  const segkit_table *t = f->in_fact ? c->env->links[c->link].facts : c->env->customers;
  return segkit_table_column(t, (size_t)f->col);
}

static const sk__strview *field_views(const compiler *c, const sk__node *f) {
  return f->in_fact ? c->env->links[c->link].views[f->col] : c->env->views[f->col];
}

/* A column the current program can read in place (not a customer field seen from a
 * where clause, which needs the owner gather). */
static bool direct_field(const compiler *c, const sk__node *f) {
  if (c->dict_field != NULL) {
    return false; /* rows are dictionary entries here: no fused row-wise reads */
  }
  return f->kind == SK__N_FIELD && (f->in_fact || !c->fact);
}

static int sv_cmp(sk__strview a, const char *b, size_t bn) {
  size_t m = a.n < bn ? a.n : bn;
  int r = m > 0 ? memcmp(a.p, b, m) : 0;
  if (r != 0) {
    return r;
  }
  return a.n < bn ? -1 : a.n > bn ? 1 : 0;
}

/* String column vs constants: a table over dictionary codes, 0 false / 1 true / 2 null.
 * mode 0: comparison `op` with lits[0]; mode 1: in (lits). */
static int code_table(compiler *c, const sk__node *f, int op, const cval *lits, size_t n_lits,
                      bool in_list, bool negate) {
  const segkit_column *col = field_column(c, f);
  const sk__strview *views = field_views(c, f);
  uint32_t dn = segkit_column_dict_size(col);
  uint8_t *table = malloc((size_t)dn + 1);
  if (table == NULL) {
    c->failed = true;
    return 0;
  }
  table[dn] = 2; /* a null string: the comparison or in-list is null */
  bool any_null = false;
  for (size_t k = 0; k < n_lits; k++) {
    any_null = any_null || !lits[k].valid;
  }
  for (uint32_t code = 0; code < dn; code++) {
    uint8_t v;
    if (in_list) {
      bool hit = false;
      for (size_t k = 0; k < n_lits && !hit; k++) {
        hit = lits[k].valid && sv_cmp(views[code], lits[k].s, lits[k].s_len) == 0;
      }
      v = hit ? 1 : any_null ? 2 : 0;
      if (negate && v != 2) {
        v ^= 1;
      }
    } else {
      v = !lits[0].valid ? 2 : cmp_result(op, sv_cmp(views[code], lits[0].s, lits[0].s_len)) ? 1 : 0;
    }
    table[code] = v;
  }
  int r = new_reg(c, SK__R_BOOL);
  sk__insn *in = emit(c, SK__OP_CMPC_CODE, r);
  in->a = (int)f->col;
  in->c = f->in_fact ? 1 : 0;
  in->table = table;
  in->table_n = dn + 1;
  if (c->failed) {
    free(table);
    in->table = NULL;
  }
  return r;
}

/* column <op> constant in one instruction, when the types allow; -1 otherwise. */
static int fused_compare(compiler *c, int op, const sk__node *f, const sk__node *k) {
  cval v;
  if (!direct_field(c, f) || !const_value(c, k, &v) || !v.valid) {
    return -1;
  }
  const segkit_column *col = field_column(c, f);
  segkit_type ct = segkit_column_type(col);
  sk__op fop;
  int64_t imm = v.i;
  double fimm = 0;
  if (ct == SEGKIT_TYPE_STRING && v.type == SK__V_STRING) {
    return code_table(c, f, op, &v, 1, false, false);
  }
  if (ct == SEGKIT_TYPE_INT64 && v.type == SK__V_INT) {
    fop = SK__OP_CMPC_I64;
  } else if (ct == SEGKIT_TYPE_TIMESTAMP && (v.type == SK__V_TIMESTAMP || v.type == SK__V_DATE)) {
    fop = SK__OP_CMPC_I64;
    imm = v.type == SK__V_DATE ? v.i * SEGKIT_US_PER_DAY : v.i;
  } else if (ct == SEGKIT_TYPE_DATE && v.type == SK__V_DATE) {
    fop = SK__OP_CMPC_I32;
  } else if (ct == SEGKIT_TYPE_FLOAT64 && (v.type == SK__V_FLOAT || v.type == SK__V_INT)) {
    fop = SK__OP_CMPC_F64;
    fimm = v.type == SK__V_INT ? (double)v.i : v.f;
  } else {
    return -1;
  }
  int r = new_reg(c, SK__R_BOOL);
  sk__insn *in = emit(c, fop, r);
  in->a = (int)f->col;
  in->b = op;
  in->c = f->in_fact ? 1 : 0;
  in->imm = imm;
  in->fimm = fimm;
  return r;
}

static int compare(compiler *c, int op, const sk__node *l, const sk__node *r) {
  int fused = fused_compare(c, op, l, r);
  if (fused < 0) {
    fused = fused_compare(c, flip(op), r, l);
  }
  if (fused >= 0) {
    return fused;
  }
  int64_t kind = 0;
  sk__vtype t = compare_type(l->type, r->type, &kind);
  int a = expr_as(c, l, t);
  int b = expr_as(c, r, t);
  int d = new_reg(c, SK__R_BOOL);
  sk__insn *in = emit(c, SK__OP_CMP, d);
  in->a = a;
  in->b = op;
  in->c = b;
  in->imm = kind;
  release(c, a);
  release(c, b);
  return d;
}

static int logic(compiler *c, sk__op op, int a, int b) {
  int d = new_reg(c, SK__R_BOOL);
  sk__insn *in = emit(c, op, d);
  in->a = a;
  in->c = b;
  release(c, a);
  release(c, b);
  return d;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a;
  int64_t y = *(const int64_t *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static int cmp_f64(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/* x in (constants): the values live in the instruction, sorted, not in registers (a list
 * of thousands of literals would otherwise hold thousands of batch registers). -1 when
 * some item is not a constant. */
static int in_constants(compiler *c, const sk__node *n, sk__vtype t, int64_t kind) {
  size_t n_list = n->n_args - 1;
  cval v;
  for (size_t k = 0; k < n_list; k++) {
    if (!const_value(c, n->args[k + 1], &v)) {
      return -1;
    }
  }
  size_t width = kind == 2 ? sizeof(sk__strview) : 8;
  char *values = malloc(n_list * width);
  if (values == NULL) {
    c->failed = true;
    return -1;
  }
  size_t m = 0;
  bool any_null = false;
  for (size_t k = 0; k < n_list; k++) {
    const_value(c, n->args[k + 1], &v);
    if (!v.valid) {
      any_null = true;
      continue;
    }
    if (kind == 1) {
      double f = v.type == SK__V_INT ? (double)v.i : v.f;
      memcpy(values + m * width, &f, width);
    } else if (kind == 2) {
      sk__strview sv = {v.s, (uint32_t)v.s_len};
      memcpy(values + m * width, &sv, width);
    } else {
      int64_t i = t == SK__V_TIMESTAMP && v.type == SK__V_DATE ? v.i * SEGKIT_US_PER_DAY : v.i;
      memcpy(values + m * width, &i, width);
    }
    m++;
  }
  if (kind == 1) {
    qsort(values, m, width, cmp_f64);
  } else if (kind != 2) {
    qsort(values, m, width, cmp_i64);
  }
  int a = expr_as(c, n->args[0], t);
  int d = new_reg(c, SK__R_BOOL);
  sk__insn *in = emit(c, SK__OP_IN_CONST, d);
  in->a = a;
  in->imm = kind;
  in->imm2 = any_null ? 1 : 0;
  in->values = values;
  in->n_values = m;
  if (c->failed) {
    free(values);
    in->values = NULL;
    return d;
  }
  release(c, a);
  if (!n->negate) {
    return d;
  }
  int e = new_reg(c, SK__R_BOOL);
  emit(c, SK__OP_NOT, e)->a = d;
  release(c, d);
  return e;
}

static int compile_in(compiler *c, const sk__node *n) {
  const sk__node *x = n->args[0];
  size_t n_list = n->n_args - 1;
  /* A string column against literals: one table lookup. */
  if (direct_field(c, x) && x->type == SK__V_STRING && n_list <= 4096) {
    cval *lits = calloc(n_list, sizeof *lits);
    if (lits == NULL) {
      c->failed = true;
      return 0;
    }
    bool all = true;
    for (size_t k = 0; k < n_list && all; k++) {
      all = const_value(c, n->args[k + 1], &lits[k]);
    }
    int r = all ? code_table(c, x, 0, lits, n_list, true, n->negate) : -1;
    free(lits);
    if (r >= 0) {
      return r;
    }
  }
  int64_t kind = 0;
  sk__vtype t = x->type;
  for (size_t k = 1; k < n->n_args; k++) {
    t = compare_type(t, n->args[k]->type, &kind);
  }
  compare_type(t, t, &kind);
  int r = in_constants(c, n, t, kind);
  if (r >= 0 || c->failed) {
    return r < 0 ? 0 : r;
  }
  int *args = arg_array(c, (int)n_list);
  int a = expr_as(c, x, t);
  for (size_t k = 0; args != NULL && k < n_list; k++) {
    args[k] = expr_as(c, n->args[k + 1], t);
  }
  int d = new_reg(c, SK__R_BOOL);
  sk__insn *in = emit(c, SK__OP_IN, d);
  in->a = a;
  in->imm = kind;
  in->args = args;
  in->n_args = (int)n_list;
  if (c->failed) {
    free(args);
    in->args = NULL;
    return d;
  }
  release(c, a);
  for (size_t k = 0; k < n_list; k++) {
    release(c, args[k]);
  }
  if (!n->negate) {
    return d;
  }
  int e = new_reg(c, SK__R_BOOL);
  emit(c, SK__OP_NOT, e)->a = d;
  release(c, d);
  return e;
}

static int compile_between(compiler *c, const sk__node *n) {
  /* x between a and b is x >= a and x <= b, with SQL's null rules. */
  int lo = compare(c, SK__TK_GE, n->args[0], n->args[1]);
  int hi = compare(c, SK__TK_LE, n->args[0], n->args[2]);
  int d = logic(c, SK__OP_AND, lo, hi);
  if (!n->negate) {
    return d;
  }
  int e = new_reg(c, SK__R_BOOL);
  emit(c, SK__OP_NOT, e)->a = d;
  release(c, d);
  return e;
}

static int arith(compiler *c, const sk__node *n) {
  const sk__node *l = n->args[0];
  const sk__node *r = n->args[1];
  if ((r->type == SK__V_DURATION && r->months != 0)) {
    /* date/timestamp +- calendar months */
    bool date = n->type == SK__V_DATE;
    int a = expr_as(c, l, date ? SK__V_DATE : SK__V_TIMESTAMP);
    int d = new_reg(c, SK__R_I64);
    sk__insn *in = emit(c, SK__OP_ADD_MONTHS, d);
    in->a = a;
    in->imm = n->op == SK__TK_MINUS ? -r->months : r->months;
    in->imm2 = date ? 0 : 1;
    release(c, a);
    return d;
  }
  sk__vtype t;
  if (n->type == SK__V_FLOAT) {
    t = SK__V_FLOAT;
  } else if (n->type == SK__V_INT || n->type == SK__V_NULL) {
    t = SK__V_INT;
  } else {
    /* temporal: everything in microseconds */
    t = SK__V_TIMESTAMP;
  }
  int a = expr_as(c, l, l->type == SK__V_DURATION ? SK__V_DURATION : t);
  int b = expr_as(c, r, r->type == SK__V_DURATION ? SK__V_DURATION : t);
  int d = new_reg(c, kind_of(t));
  sk__insn *in = emit(c, SK__OP_ARITH, d);
  in->a = a;
  in->b = n->op;
  in->c = b;
  in->imm = t == SK__V_FLOAT ? 1 : 0;
  release(c, a);
  release(c, b);
  return d;
}

static int call(compiler *c, const sk__node *n) {
  if (n->func == SK__F_IN_SEGMENT) {
    int d = new_reg(c, SK__R_BOOL);
    emit(c, SK__OP_SEGMENT, d)->a = n->segment_ref;
    return d;
  }
  sk__vtype as[2] = {n->n_args > 0 ? n->args[0]->type : SK__V_NULL, SK__V_STRING};
  if (n->func == SK__F_COALESCE) {
    as[0] = n->type;
  } else if (as[0] == SK__V_NULL) {
    as[0] = n->func == SK__F_ABS || n->func == SK__F_ROUND ? SK__V_INT
            : n->func == SK__F_DAYS_SINCE || n->func == SK__F_YEAR || n->func == SK__F_MONTH
                ? SK__V_DATE
                : SK__V_STRING;
  }
  size_t n_args = n->func == SK__F_ROUND ? 1 : n->n_args;
  int *args = arg_array(c, (int)n_args);
  for (size_t k = 0; args != NULL && k < n_args; k++) {
    args[k] = expr_as(c, n->args[k], k == 0 || n->func == SK__F_COALESCE ? as[0] : as[1]);
  }
  sk__vtype out_t = n->type == SK__V_NULL ? SK__V_INT : n->type;
  int d = new_reg(c, kind_of(out_t));
  sk__insn *in = emit(c, n->func == SK__F_COALESCE ? SK__OP_COALESCE : SK__OP_FUNC, d);
  in->b = (int)n->func;
  in->args = args;
  in->n_args = (int)n_args;
  in->imm = as[0] == SK__V_FLOAT ? 1 : 0;
  in->imm2 = as[0] == SK__V_DATE ? 1 : 0; /* days_since / year / month of a date */
  in->c = n->regex;
  if (n->func == SK__F_ROUND && n->n_args == 2) {
    in->fimm = (double)n->args[1]->i;
    in->a = 1;
  }
  if (c->failed) {
    free(args);
    in->args = NULL;
    in->n_args = 0;
    return d;
  }
  for (size_t k = 0; k < n_args; k++) {
    release(c, args[k]);
  }
  return d;
}

/* ---- dictionary folding ---------------------------------------------------------------
 * A condition whose only input is one string column (starts_with(email, "a"),
 * matches(plan, "^p"), lower(plan) in ("pro", "team")) has one value per dictionary entry.
 * It is evaluated here, once, over the entries (and once for a null), by the evaluator
 * itself, and becomes a CMPC_CODE table lookup: per row, one load and one lookup instead
 * of string work. Worth it when the dictionary is smaller than the table, as it is for
 * categories; for near-unique columns (emails) the per-row program is kept. */

/* The one string column n reads, if that is all it reads (no aggregate, no segment). */
static bool single_string_field(const sk__node *n, const sk__node **field) {
  if (n->kind == SK__N_AGG || (n->kind == SK__N_CALL && n->func == SK__F_IN_SEGMENT)) {
    return false;
  }
  if (n->kind == SK__N_FIELD) {
    if (n->type != SK__V_STRING) {
      return false;
    }
    if (*field != NULL && ((*field)->col != n->col || (*field)->in_fact != n->in_fact)) {
      return false;
    }
    *field = n;
    return true;
  }
  for (size_t k = 0; k < n->n_args; k++) {
    if (!single_string_field(n->args[k], field)) {
      return false;
    }
  }
  return true;
}

static bool fold_worthwhile(const compiler *c, const sk__node *n, const sk__node **field) {
  if (c->dict_field != NULL || n->type != SK__V_BOOL || n->kind == SK__N_LIT) {
    return false;
  }
  *field = NULL;
  if (!single_string_field(n, field) || *field == NULL || !direct_field(c, *field)) {
    return false;
  }
  const segkit_table *t = (*field)->in_fact ? c->env->links[c->link].facts : c->env->customers;
  uint32_t dn = segkit_column_dict_size(field_column(c, *field));
  return (size_t)dn * 4 <= segkit_table_n_rows(t);
}

static int fold_over_dictionary(compiler *c, const sk__node *n, const sk__node *field) {
  sk__program sub;
  memset(&sub, 0, sizeof sub);
  compiler c2 = {.env = c->env, .info = c->info, .p = &sub, .fact = c->fact, .link = c->link,
                 .dict_field = field};
  sub.fact = c->fact;
  sub.link = c->link;
  sub.result = expr_as(&c2, n, SK__V_BOOL);
  free(c2.free_regs);
  uint32_t dn = segkit_column_dict_size(field_column(c, field));
  uint8_t *table = malloc((size_t)dn + 1);
  sk__vm vm;
  bool ok = !c2.failed && table != NULL && sk__vm_init(&vm, &sub) == SEGKIT_OK;
  sk__run run = {.env = c->env, .regexes = c->info->regexes};
  for (size_t s = 0; ok && s <= dn; s += SK__BATCH) {
    size_t m = (size_t)dn + 1 - s < SK__BATCH ? (size_t)dn + 1 - s : SK__BATCH;
    ok = sk__vm_run(&vm, &run, s, m);
    const uint8_t *v = ok ? vm.vals[sub.result] : NULL;
    const uint8_t *k = ok ? vm.valid[sub.result] : NULL;
    for (size_t i = 0; ok && i < m; i++) {
      table[s + i] = k[i] ? v[i] : 2;
    }
  }
  if (!c2.failed && table != NULL && vm.vals != NULL) {
    sk__vm_free(&vm);
  }
  sk__program_free(&sub);
  if (!ok) {
    free(table);
    c->failed = true;
    c->internal = c2.internal;
    return 0;
  }
  int r = new_reg(c, SK__R_BOOL);
  sk__insn *in = emit(c, SK__OP_CMPC_CODE, r);
  in->a = (int)field->col;
  in->c = field->in_fact ? 1 : 0;
  in->table = table;
  in->table_n = dn + 1;
  if (c->failed) {
    free(table);
    in->table = NULL;
  }
  return r;
}

static int expr(compiler *c, const sk__node *n) {
  if (c->failed) {
    return 0;
  }
  const sk__node *field = NULL;
  if (fold_worthwhile(c, n, &field)) {
    return fold_over_dictionary(c, n, field);
  }
  cval v;
  if (n->type != SK__V_DURATION && n->kind != SK__N_FIELD && const_value(c, n, &v)) {
    return emit_const(c, &v, n->type == SK__V_NULL ? SK__V_INT : n->type);
  }
  switch (n->kind) {
  case SK__N_LIT:
  case SK__N_NOW: {
    const_value(c, n, &v);
    return emit_const(c, &v, n->type == SK__V_NULL ? SK__V_INT : n->type);
  }
  case SK__N_FIELD: {
    int d = new_reg(c, kind_of(n->type));
    if (c->dict_field != NULL) {
      sk__insn *ld = emit(c, SK__OP_LOAD_DICT, d);
      ld->a = (int)n->col;
      ld->c = n->in_fact ? 1 : 0;
      return d;
    }
    sk__insn *in = emit(c, SK__OP_LOAD, d);
    in->a = (int)n->col;
    in->c = n->in_fact ? 1 : c->fact ? 2 : 0;
    in->imm = (int64_t)segkit_column_type(n->in_fact ? segkit_table_column(c->env->links[c->link].facts, (size_t)n->col)
                                                     : segkit_table_column(c->env->customers, (size_t)n->col));
    return d;
  }
  case SK__N_AGG: {
    int d = new_reg(c, kind_of(n->type));
    sk__insn *in = emit(c, SK__OP_LOAD_AGG, d);
    in->a = n->slot;
    in->imm = n->type == SK__V_FLOAT ? 1 : n->type == SK__V_BOOL ? 2 : 0;
    return d;
  }
  case SK__N_UNARY: {
    int a = expr(c, n->args[0]);
    int d = new_reg(c, kind_of(n->type == SK__V_NULL ? SK__V_INT : n->type));
    sk__insn *in = emit(c, n->op == SK__TK_NOT ? SK__OP_NOT : SK__OP_NEG, d);
    in->a = a;
    in->imm = n->type == SK__V_FLOAT ? 1 : 0;
    release(c, a);
    return d;
  }
  case SK__N_BINARY:
    if (n->op == SK__TK_AND || n->op == SK__TK_OR) {
      int a = expr_as(c, n->args[0], SK__V_BOOL);
      int b = expr_as(c, n->args[1], SK__V_BOOL);
      return logic(c, n->op == SK__TK_AND ? SK__OP_AND : SK__OP_OR, a, b);
    }
    if (n->type == SK__V_BOOL) {
      return compare(c, n->op, n->args[0], n->args[1]);
    }
    return arith(c, n);
  case SK__N_IN:
    return compile_in(c, n);
  case SK__N_BETWEEN:
    return compile_between(c, n);
  case SK__N_ISNULL: {
    const sk__node *x = n->args[0];
    int a = x->type == SK__V_NULL ? expr_as(c, x, SK__V_INT) : expr(c, x);
    int d = new_reg(c, SK__R_BOOL);
    sk__insn *in = emit(c, SK__OP_ISNULL, d);
    in->a = a;
    in->b = n->negate ? 1 : 0;
    release(c, a);
    return d;
  }
  default:
    return call(c, n);
  }
}

void sk__program_free(sk__program *p) {
  for (size_t i = 0; i < p->n_code; i++) {
    free(p->code[i].args);
    if (p->code[i].op == SK__OP_CMPC_CODE) {
      free(p->code[i].table);
    }
    free(p->code[i].values);
  }
  free(p->code);
  free(p->reg_kind);
  memset(p, 0, sizeof *p);
}

segkit_status sk__compile_program(const segkit_rule_env *env, const sk__rule_info *info,
                                  sk__node *root, bool fact, int link, sk__program *out,
                                  segkit_error *err) {
  memset(out, 0, sizeof *out);
  compiler c = {.env = env, .info = info, .p = out, .fact = fact, .link = link};
  out->fact = fact;
  out->link = link;
  int r = expr_as(&c, root, SK__V_BOOL);
  out->result = r;
  free(c.free_regs);
  if (c.failed) {
    sk__program_free(out);
    if (c.internal) {
      return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "internal error: a value of the wrong type reached the compiler");
    }
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory compiling the rule");
  }
  return SEGKIT_OK;
}
