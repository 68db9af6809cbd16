/* The evaluator: runs a compiled program over one batch of up to SK__BATCH rows. Every
 * instruction is a flat loop over the batch, values and validity bytes side by side, so
 * the compiler can vectorise the common ones (fused column-vs-constant comparisons, and,
 * or, not). Three-valued logic keeps a null's value byte at 0, which makes and/or
 * branch-free: a and b is false when either is a known false, true when both are true,
 * null otherwise (SQL's truth tables). Strings are views into dictionaries, literals or
 * this batch's scratch blocks (lower/upper), freed when the next batch starts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segment/segment_int.h"

#define REG_BYTES (SK__BATCH * sizeof(sk__strview))

segkit_status sk__vm_init(sk__vm *vm, const sk__program *p) {
  memset(vm, 0, sizeof *vm);
  vm->prog = p;
  int n = p->n_regs > 0 ? p->n_regs : 1;
  vm->vals = calloc((size_t)n, sizeof *vm->vals);
  vm->valid = calloc((size_t)n, sizeof *vm->valid);
  if (vm->vals == NULL || vm->valid == NULL) {
    sk__vm_free(vm);
    return SEGKIT_ERR_NOMEM;
  }
  for (int r = 0; r < p->n_regs; r++) {
    vm->vals[r] = malloc(REG_BYTES);
    vm->valid[r] = malloc(SK__BATCH);
    if (vm->vals[r] == NULL || vm->valid[r] == NULL) {
      sk__vm_free(vm);
      return SEGKIT_ERR_NOMEM;
    }
  }
  return SEGKIT_OK;
}

/* Scratch blocks hold lower()/upper() results until the batch ends. */
struct sk__scratch {
  char **blocks;
  size_t n, cap;
};

static void scratch_reset(sk__vm *vm) {
  sk__scratch *s = vm->scratch;
  if (s == NULL) {
    return;
  }
  for (size_t i = 0; i < s->n; i++) {
    free(s->blocks[i]);
  }
  s->n = 0;
}

static char *scratch_alloc(sk__vm *vm, size_t n) {
  sk__scratch *s = vm->scratch;
  if (s == NULL) {
    s = calloc(1, sizeof *s);
    if (s == NULL) {
      return NULL;
    }
    vm->scratch = s;
  }
  if (s->n == s->cap) {
    size_t cap = s->cap == 0 ? 8 : s->cap * 2;
    char **fresh = realloc(s->blocks, cap * sizeof *fresh);
    if (fresh == NULL) {
      return NULL;
    }
    s->blocks = fresh;
    s->cap = cap;
  }
  char *b = malloc(n > 0 ? n : 1);
  if (b != NULL) {
    s->blocks[s->n++] = b;
  }
  return b;
}

void sk__vm_free(sk__vm *vm) {
  if (vm->vals != NULL) {
    for (int r = 0; r < vm->prog->n_regs; r++) {
      free(vm->vals[r]);
    }
  }
  if (vm->valid != NULL) {
    for (int r = 0; r < vm->prog->n_regs; r++) {
      free(vm->valid[r]);
    }
  }
  free(vm->vals);
  free(vm->valid);
  scratch_reset(vm);
  sk__scratch *s = vm->scratch;
  if (s != NULL) {
    free(s->blocks);
    free(s);
  }
  memset(vm, 0, sizeof *vm);
}

/* ---- helpers --------------------------------------------------------------------- */

static inline uint8_t bit_at(const uint64_t *bm, size_t r) {
  return (uint8_t)((bm[r >> 6] >> (r & 63)) & 1u);
}

static int sv_compare(sk__strview a, sk__strview b) {
  size_t m = a.n < b.n ? a.n : b.n;
  int r = m > 0 ? memcmp(a.p, b.p, m) : 0;
  if (r != 0) {
    return r < 0 ? -1 : 1;
  }
  return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
}

static bool cmp_holds(int op, int c3) {
  switch (op) {
  case SK__TK_EQ: return c3 == 0;
  case SK__TK_NE: return c3 != 0;
  case SK__TK_LT: return c3 < 0;
  case SK__TK_LE: return c3 <= 0;
  case SK__TK_GT: return c3 > 0;
  default: return c3 >= 0;
  }
}

static bool sv_contains(sk__strview h, sk__strview n) {
  if (n.n == 0) {
    return true;
  }
  for (size_t i = 0; i + n.n <= h.n; i++) {
    if (h.p[i] == n.p[0] && memcmp(h.p + i, n.p, n.n) == 0) {
      return true;
    }
  }
  return false;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Where a LOAD or fused comparison reads: the customer table, the fact table, or (scope
 * 2) the customer row owning each fact row. */
typedef struct source {
  const segkit_table *t;
  const int32_t *owner;
  const sk__strview *const *views;
} source;

static source source_of(const sk__run *run, const sk__program *p, int scope) {
  source s = {.t = run->env->customers, .owner = NULL, .views = (const sk__strview *const *)run->env->views};
  if (scope == 1 || scope == 2) {
    const sk__link *l = &run->env->links[p->link];
    if (scope == 1) {
      s.t = l->facts;
      s.views = (const sk__strview *const *)l->views;
    } else {
      s.owner = l->owner;
    }
  }
  return s;
}

/* ---- instructions ---------------------------------------------------------------- */

#define CMP_LOOP(OPR)                                                                    \
  for (size_t i = 0; i < n; i++) {                                                       \
    size_t r = start + i;                                                                \
    uint8_t ok = bit_at(bm, r);                                                          \
    dv[i] = (uint8_t)(ok & (uint8_t)(data[r] OPR imm));                                  \
    dk[i] = ok;                                                                          \
  }

#define CMP_SWITCH()                                                                     \
  switch (in->b) {                                                                       \
  case SK__TK_EQ: CMP_LOOP(==) break;                                                    \
  case SK__TK_NE: CMP_LOOP(!=) break;                                                    \
  case SK__TK_LT: CMP_LOOP(<) break;                                                     \
  case SK__TK_LE: CMP_LOOP(<=) break;                                                    \
  case SK__TK_GT: CMP_LOOP(>) break;                                                     \
  default: CMP_LOOP(>=) break;                                                           \
  }

static void op_cmpc(sk__vm *vm, const sk__run *run, const sk__insn *in, size_t start, size_t n) {
  source src = source_of(run, vm->prog, in->c);
  const segkit_column *col = segkit_table_column(src.t, (size_t)in->a);
  const uint64_t *bm = segkit_column_validity(col);
  uint8_t *dv = vm->vals[in->dst];
  uint8_t *dk = vm->valid[in->dst];
  if (in->op == SK__OP_CMPC_I64) {
    const int64_t *data = segkit_column_type(col) == SEGKIT_TYPE_INT64 ? segkit_column_int64(col)
                                                                       : segkit_column_timestamp(col);
    int64_t imm = in->imm;
    CMP_SWITCH()
  } else if (in->op == SK__OP_CMPC_I32) {
    const int32_t *data = segkit_column_date(col);
    int32_t imm = (int32_t)in->imm;
    CMP_SWITCH()
  } else if (in->op == SK__OP_CMPC_F64) {
    const double *data = segkit_column_float64(col);
    double imm = in->fimm;
    CMP_SWITCH()
  } else {
    const uint32_t *codes = segkit_column_codes(col);
    const uint8_t *table = in->table;
    uint32_t null_slot = in->table_n - 1;
    for (size_t i = 0; i < n; i++) {
      size_t r = start + i;
      uint8_t t = table[bit_at(bm, r) ? codes[r] : null_slot];
      dv[i] = t == 1;
      dk[i] = t != 2;
    }
  }
}

/* Rows read in place (no owner gather): one flat loop per storage type. */
static void load_direct(sk__vm *vm, const source *src, const sk__insn *in, size_t start, size_t n) {
  const segkit_column *col = segkit_table_column(src->t, (size_t)in->a);
  const uint64_t *bm = segkit_column_validity(col);
  void *dv = vm->vals[in->dst];
  uint8_t *dk = vm->valid[in->dst];
  for (size_t i = 0; i < n; i++) {
    dk[i] = bit_at(bm, start + i);
  }
  switch ((segkit_type)in->imm) {
  case SEGKIT_TYPE_INT64:
  case SEGKIT_TYPE_TIMESTAMP: {
    const int64_t *d = segkit_column_int64(col) != NULL ? segkit_column_int64(col) : segkit_column_timestamp(col);
    memcpy(dv, d + start, n * sizeof *d);
    return;
  }
  case SEGKIT_TYPE_FLOAT64:
    memcpy(dv, segkit_column_float64(col) + start, n * sizeof(double));
    return;
  case SEGKIT_TYPE_DATE: {
    const int32_t *d = segkit_column_date(col) + start;
    for (size_t i = 0; i < n; i++) {
      ((int64_t *)dv)[i] = d[i];
    }
    return;
  }
  case SEGKIT_TYPE_BOOL: {
    const uint8_t *d = segkit_column_bool(col) + start;
    for (size_t i = 0; i < n; i++) {
      ((uint8_t *)dv)[i] = (uint8_t)(dk[i] & d[i]);
    }
    return;
  }
  default: {
    const uint32_t *codes = segkit_column_codes(col) + start;
    const sk__strview *views = src->views[in->a];
    for (size_t i = 0; i < n; i++) {
      ((sk__strview *)dv)[i] = dk[i] ? views[codes[i]] : (sk__strview){"", 0};
    }
    return;
  }
  }
}

static void op_load(sk__vm *vm, const sk__run *run, const sk__insn *in, size_t start, size_t n) {
  source src = source_of(run, vm->prog, in->c);
  if (src.owner == NULL) {
    load_direct(vm, &src, in, start, n);
    return;
  }
  const segkit_column *col = segkit_table_column(src.t, (size_t)in->a);
  const uint64_t *bm = segkit_column_validity(col);
  void *dv = vm->vals[in->dst];
  uint8_t *dk = vm->valid[in->dst];
  for (size_t i = 0; i < n; i++) {
    size_t r = start + i;
    if (src.owner != NULL) {
      int32_t o = src.owner[r];
      if (o < 0) {
        /* A fact row of no customer: every customer field is null there. */
        dk[i] = 0;
        if (in->kind == SK__R_STR) {
          ((sk__strview *)dv)[i] = (sk__strview){"", 0};
        } else if (in->kind == SK__R_BOOL) {
          ((uint8_t *)dv)[i] = 0;
        } else {
          ((int64_t *)dv)[i] = 0;
        }
        continue;
      }
      r = (size_t)o;
    }
    uint8_t ok = bit_at(bm, r);
    dk[i] = ok;
    switch ((segkit_type)in->imm) {
    case SEGKIT_TYPE_INT64: ((int64_t *)dv)[i] = segkit_column_int64(col)[r]; break;
    case SEGKIT_TYPE_TIMESTAMP: ((int64_t *)dv)[i] = segkit_column_timestamp(col)[r]; break;
    case SEGKIT_TYPE_DATE: ((int64_t *)dv)[i] = segkit_column_date(col)[r]; break;
    case SEGKIT_TYPE_FLOAT64: ((double *)dv)[i] = segkit_column_float64(col)[r]; break;
    case SEGKIT_TYPE_BOOL: ((uint8_t *)dv)[i] = (uint8_t)(ok & segkit_column_bool(col)[r]); break;
    default: {
      sk__strview e = {"", 0};
      if (ok) {
        e = src.views[in->a][segkit_column_codes(col)[r]];
      }
      ((sk__strview *)dv)[i] = e;
      break;
    }
    }
  }
}

static void op_load_dict(sk__vm *vm, const sk__run *run, const sk__insn *in, size_t start, size_t n) {
  source src = source_of(run, vm->prog, in->c);
  const sk__strview *views = src.views[in->a];
  uint32_t dn = segkit_column_dict_size(segkit_table_column(src.t, (size_t)in->a));
  sk__strview *dv = vm->vals[in->dst];
  uint8_t *dk = vm->valid[in->dst];
  for (size_t i = 0; i < n; i++) {
    bool ok = start + i < dn;
    dv[i] = ok ? views[start + i] : (sk__strview){"", 0};
    dk[i] = ok;
  }
}

static void op_const(sk__vm *vm, const sk__insn *in, size_t n) {
  void *dv = vm->vals[in->dst];
  uint8_t ok = (uint8_t)in->a;
  memset(vm->valid[in->dst], ok, n);
  switch (in->kind) {
  case SK__R_I64:
    for (size_t i = 0; i < n; i++) {
      ((int64_t *)dv)[i] = in->imm;
    }
    break;
  case SK__R_F64:
    for (size_t i = 0; i < n; i++) {
      ((double *)dv)[i] = in->fimm;
    }
    break;
  case SK__R_BOOL:
    memset(dv, ok & (in->imm != 0), n);
    break;
  default: {
    sk__strview s = {ok ? in->str : "", ok ? (uint32_t)in->imm : 0};
    for (size_t i = 0; i < n; i++) {
      ((sk__strview *)dv)[i] = s;
    }
    break;
  }
  }
}

static void op_logic(sk__vm *vm, const sk__insn *in, size_t n) {
  uint8_t *dv = vm->vals[in->dst];
  uint8_t *dk = vm->valid[in->dst];
  const uint8_t *av = vm->vals[in->a];
  const uint8_t *ak = vm->valid[in->a];
  if (in->op == SK__OP_NOT) {
    for (size_t i = 0; i < n; i++) {
      dv[i] = (uint8_t)(ak[i] & (av[i] ^ 1u));
      dk[i] = ak[i];
    }
    return;
  }
  const uint8_t *bv = vm->vals[in->c];
  const uint8_t *bk = vm->valid[in->c];
  if (in->op == SK__OP_AND) {
    for (size_t i = 0; i < n; i++) {
      uint8_t fa = (uint8_t)(ak[i] & (av[i] ^ 1u));
      uint8_t fb = (uint8_t)(bk[i] & (bv[i] ^ 1u));
      dv[i] = (uint8_t)(av[i] & bv[i]);
      dk[i] = (uint8_t)((ak[i] & bk[i]) | fa | fb);
    }
    return;
  }
  for (size_t i = 0; i < n; i++) {
    dv[i] = (uint8_t)(av[i] | bv[i]);
    dk[i] = (uint8_t)((ak[i] & bk[i]) | av[i] | bv[i]);
  }
}

static int compare_at(const sk__vm *vm, int a, int b, int64_t kind, size_t i) {
  switch (kind) {
  case 0: {
    int64_t x = ((const int64_t *)vm->vals[a])[i];
    int64_t y = ((const int64_t *)vm->vals[b])[i];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  case 1: {
    double x = ((const double *)vm->vals[a])[i];
    double y = ((const double *)vm->vals[b])[i];
    /* NaN is unordered: neither less nor greater, and not equal. */
    return x < y ? -1 : x > y ? 1 : x == y ? 0 : 2;
  }
  case 2:
    return sv_compare(((const sk__strview *)vm->vals[a])[i], ((const sk__strview *)vm->vals[b])[i]);
  default: {
    int x = ((const uint8_t *)vm->vals[a])[i];
    int y = ((const uint8_t *)vm->vals[b])[i];
    return x - y;
  }
  }
}

static void op_cmp(sk__vm *vm, const sk__insn *in, size_t n) {
  uint8_t *dv = vm->vals[in->dst];
  uint8_t *dk = vm->valid[in->dst];
  const uint8_t *ak = vm->valid[in->a];
  const uint8_t *bk = vm->valid[in->c];
  if (in->imm == 0) {
    const int64_t *x = vm->vals[in->a];
    const int64_t *y = vm->vals[in->c];
    for (size_t i = 0; i < n; i++) {
      int c3 = x[i] < y[i] ? -1 : x[i] > y[i] ? 1 : 0;
      uint8_t ok = (uint8_t)(ak[i] & bk[i]);
      dv[i] = (uint8_t)(ok & cmp_holds(in->b, c3));
      dk[i] = ok;
    }
    return;
  }
  for (size_t i = 0; i < n; i++) {
    uint8_t ok = (uint8_t)(ak[i] & bk[i]);
    int c3 = ok ? compare_at(vm, in->a, in->c, in->imm, i) : 0;
    bool holds = c3 == 2 ? in->b == SK__TK_NE : cmp_holds(in->b, c3);
    dv[i] = (uint8_t)(ok & holds);
    dk[i] = ok;
  }
}

static void op_in(sk__vm *vm, const sk__insn *in, size_t n) {
  uint8_t *dv = vm->vals[in->dst];
  uint8_t *dk = vm->valid[in->dst];
  const uint8_t *ak = vm->valid[in->a];
  for (size_t i = 0; i < n; i++) {
    if (!ak[i]) {
      dv[i] = 0;
      dk[i] = 0;
      continue;
    }
    bool hit = false;
    bool any_null = false;
    for (int k = 0; k < in->n_args && !hit; k++) {
      int b = in->args[k];
      if (!vm->valid[b][i]) {
        any_null = true;
        continue;
      }
      hit = compare_at(vm, in->a, b, in->imm, i) == 0;
    }
    dv[i] = hit;
    dk[i] = (uint8_t)(hit || !any_null);
  }
}

static bool in_sorted_i64(const int64_t *v, size_t n, int64_t x) {
  size_t lo = 0;
  size_t hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] < x) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < n && v[lo] == x;
}

static bool in_sorted_f64(const double *v, size_t n, double x) {
  size_t lo = 0;
  size_t hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] < x) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < n && v[lo] == x;
}

static void op_in_const(sk__vm *vm, const sk__insn *in, size_t n) {
  uint8_t *dv = vm->vals[in->dst];
  uint8_t *dk = vm->valid[in->dst];
  const uint8_t *ak = vm->valid[in->a];
  uint8_t list_null = (uint8_t)in->imm2;
  for (size_t i = 0; i < n; i++) {
    bool hit = false;
    if (ak[i]) {
      switch (in->imm) {
      case 0:
        hit = in_sorted_i64(in->values, in->n_values, ((const int64_t *)vm->vals[in->a])[i]);
        break;
      case 1:
        hit = in_sorted_f64(in->values, in->n_values, ((const double *)vm->vals[in->a])[i]);
        break;
      case 2: {
        const sk__strview *v = in->values;
        sk__strview x = ((const sk__strview *)vm->vals[in->a])[i];
        for (size_t k = 0; k < in->n_values && !hit; k++) {
          hit = sv_compare(x, v[k]) == 0;
        }
        break;
      }
      default:
        hit = in_sorted_i64(in->values, in->n_values, ((const uint8_t *)vm->vals[in->a])[i]);
        break;
      }
    }
    /* in: true on a hit; else null when x or a list item is null; else false */
    dv[i] = hit;
    dk[i] = (uint8_t)(ak[i] & (hit | !list_null));
  }
}

static void op_arith(sk__vm *vm, const sk__insn *in, size_t n) {
  uint8_t *dk = vm->valid[in->dst];
  const uint8_t *ak = vm->valid[in->a];
  const uint8_t *bk = vm->valid[in->c];
  if (in->imm == 1) {
    double *d = vm->vals[in->dst];
    const double *x = vm->vals[in->a];
    const double *y = vm->vals[in->c];
    for (size_t i = 0; i < n; i++) {
      uint8_t ok = (uint8_t)(ak[i] & bk[i]);
      double v = 0;
      switch (in->b) {
      case SK__TK_PLUS: v = x[i] + y[i]; break;
      case SK__TK_MINUS: v = x[i] - y[i]; break;
      case SK__TK_STAR: v = x[i] * y[i]; break;
      default:
        /* x / 0 is null, as in SQLite (PostgreSQL raises an error). */
        ok = (uint8_t)(ok & (y[i] != 0.0));
        v = ok ? x[i] / y[i] : 0;
        break;
      }
      d[i] = v;
      dk[i] = ok;
    }
    return;
  }
  int64_t *d = vm->vals[in->dst];
  const int64_t *x = vm->vals[in->a];
  const int64_t *y = vm->vals[in->c];
  for (size_t i = 0; i < n; i++) {
    int64_t v = 0;
    bool bad = false;
    switch (in->b) {
    case SK__TK_PLUS: bad = __builtin_add_overflow(x[i], y[i], &v); break;
    case SK__TK_MINUS: bad = __builtin_sub_overflow(x[i], y[i], &v); break;
    case SK__TK_STAR: bad = __builtin_mul_overflow(x[i], y[i], &v); break;
    default:
      /* Integer division truncates toward zero, as in SQL; by zero it is null. */
      bad = y[i] == 0 || (x[i] == INT64_MIN && y[i] == -1);
      v = bad ? 0 : x[i] / y[i];
      break;
    }
    d[i] = bad ? 0 : v;
    dk[i] = (uint8_t)(ak[i] & bk[i] & !bad);
  }
}

static void op_unary_num(sk__vm *vm, const sk__insn *in, size_t n) {
  uint8_t *dk = vm->valid[in->dst];
  const uint8_t *ak = vm->valid[in->a];
  for (size_t i = 0; i < n; i++) {
    dk[i] = ak[i];
    switch (in->op) {
    case SK__OP_CAST_F:
      ((double *)vm->vals[in->dst])[i] = (double)((const int64_t *)vm->vals[in->a])[i];
      break;
    case SK__OP_DATE_TO_TS: {
      /* Any int32 day fits in microseconds except beyond +-292 000 years: null there. */
      int64_t v = ((const int64_t *)vm->vals[in->a])[i];
      int64_t us = 0;
      bool bad = __builtin_mul_overflow(v, SEGKIT_US_PER_DAY, &us);
      ((int64_t *)vm->vals[in->dst])[i] = bad ? 0 : us;
      dk[i] = (uint8_t)(ak[i] & !bad);
      break;
    }
    case SK__OP_ADD_MONTHS: {
      int64_t v = ((const int64_t *)vm->vals[in->a])[i];
      int64_t r = 0;
      if (ak[i]) {
        r = in->imm2 == 0 ? (int64_t)sk__add_months_days((int32_t)v, in->imm)
                          : sk__add_months_us(v, in->imm);
      }
      bool bad = in->imm2 == 0 ? r == INT32_MIN : r == INT64_MIN;
      ((int64_t *)vm->vals[in->dst])[i] = bad ? 0 : r;
      dk[i] = (uint8_t)(ak[i] & !bad);
      break;
    }
    default: /* NEG */
      if (in->imm == 1) {
        ((double *)vm->vals[in->dst])[i] = -((const double *)vm->vals[in->a])[i];
      } else {
        int64_t v = ((const int64_t *)vm->vals[in->a])[i];
        ((int64_t *)vm->vals[in->dst])[i] = v == INT64_MIN ? 0 : -v;
        dk[i] = (uint8_t)(ak[i] & (v != INT64_MIN));
      }
      break;
    }
  }
}

static void op_coalesce(sk__vm *vm, const sk__insn *in, size_t n) {
  size_t width = in->kind == SK__R_STR ? sizeof(sk__strview) : in->kind == SK__R_BOOL ? 1 : 8;
  char *dv = vm->vals[in->dst];
  uint8_t *dk = vm->valid[in->dst];
  for (size_t i = 0; i < n; i++) {
    dk[i] = 0;
    memset(dv + i * width, 0, width);
    for (int k = 0; k < in->n_args; k++) {
      int a = in->args[k];
      if (vm->valid[a][i]) {
        memcpy(dv + i * width, (const char *)vm->vals[a] + i * width, width);
        dk[i] = 1;
        break;
      }
    }
  }
}

/* ---- functions -------------------------------------------------------------------- */

static bool op_case(sk__vm *vm, const sk__insn *in, size_t n, bool upper) {
  const sk__strview *s = vm->vals[in->args[0]];
  const uint8_t *ak = vm->valid[in->args[0]];
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    total += ak[i] ? (size_t)s[i].n + 1 : 0;
  }
  char *block = scratch_alloc(vm, total);
  if (block == NULL) {
    return false;
  }
  sk__strview *d = vm->vals[in->dst];
  uint8_t *dk = vm->valid[in->dst];
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    dk[i] = ak[i];
    if (!ak[i]) {
      d[i] = (sk__strview){"", 0};
      continue;
    }
    char *out = block + o;
    for (uint32_t j = 0; j < s[i].n; j++) {
      char ch = s[i].p[j];
      if (upper && ch >= 'a' && ch <= 'z') {
        ch = (char)(ch - 'a' + 'A');
      } else if (!upper && ch >= 'A' && ch <= 'Z') {
        ch = (char)(ch - 'A' + 'a');
      }
      out[j] = ch;
    }
    out[s[i].n] = '\0';
    d[i] = (sk__strview){out, s[i].n};
    o += (size_t)s[i].n + 1;
  }
  return true;
}

static void op_string_test(sk__vm *vm, const sk__run *run, const sk__insn *in, size_t n) {
  const sk__strview *s = vm->vals[in->args[0]];
  const sk__strview *t = vm->vals[in->args[1]];
  const uint8_t *ak = vm->valid[in->args[0]];
  const uint8_t *bk = vm->valid[in->args[1]];
  uint8_t *dv = vm->vals[in->dst];
  uint8_t *dk = vm->valid[in->dst];
  for (size_t i = 0; i < n; i++) {
    uint8_t ok = (uint8_t)(ak[i] & bk[i]);
    bool v = false;
    if (ok) {
      switch ((sk__func)in->b) {
      case SK__F_STARTS_WITH:
        v = t[i].n <= s[i].n && memcmp(s[i].p, t[i].p, t[i].n) == 0;
        break;
      case SK__F_ENDS_WITH:
        v = t[i].n <= s[i].n && memcmp(s[i].p + s[i].n - t[i].n, t[i].p, t[i].n) == 0;
        break;
      case SK__F_CONTAINS:
        v = sv_contains(s[i], t[i]);
        break;
      default: /* MATCHES: views are NUL-terminated (dictionary, literal, scratch) */
        v = regexec(&run->regexes[in->c], s[i].p, 0, NULL, 0) == 0;
        break;
      }
    }
    dv[i] = (uint8_t)(ok & v);
    dk[i] = ok;
  }
}

static void op_number_func(sk__vm *vm, const sk__run *run, const sk__insn *in, size_t n) {
  int a = in->args[0];
  const uint8_t *ak = vm->valid[a];
  uint8_t *dk = vm->valid[in->dst];
  bool out_f = in->kind == SK__R_F64;
  int64_t now_day = floor_div(run->env->now_us, SEGKIT_US_PER_DAY);
  for (size_t i = 0; i < n; i++) {
    int64_t xi = ((const int64_t *)vm->vals[a])[i];
    double xf = in->imm == 1 ? ((const double *)vm->vals[a])[i] : (double)xi;
    bool ok = ak[i];
    int64_t ri = 0;
    double rf = 0;
    switch ((sk__func)in->b) {
    case SK__F_LENGTH: {
      const sk__strview *s = vm->vals[a];
      for (uint32_t j = 0; ok && j < s[i].n; j++) {
        ri += ((unsigned char)s[i].p[j] & 0xC0) != 0x80;
      }
      break;
    }
    case SK__F_ABS:
      if (in->imm == 1) {
        rf = fabs(xf);
      } else {
        ok = ok && xi != INT64_MIN; /* |INT64_MIN| does not fit: null */
        ri = ok && xi < 0 ? -xi : xi;
      }
      break;
    case SK__F_ROUND: {
      /* Half away from zero, as PostgreSQL's numeric round and SQLite's round. */
      double scale = pow(10.0, in->fimm);
      rf = in->a == 1 ? round(xf * scale) / scale : round(xf);
      ri = xi;
      break;
    }
    case SK__F_DAYS_SINCE:
      if (in->imm2 == 1) {
        ri = now_day - xi;
      } else {
        int64_t diff = 0;
        ok = ok && !__builtin_sub_overflow(run->env->now_us, xi, &diff);
        ri = floor_div(diff, SEGKIT_US_PER_DAY);
      }
      break;
    default: { /* YEAR, MONTH */
      int64_t day = in->imm2 == 1 ? xi : floor_div(xi, SEGKIT_US_PER_DAY);
      int64_t y = 0;
      unsigned m = 0;
      unsigned d = 0;
      ok = ok && day >= INT32_MIN && day <= INT32_MAX;
      if (ok) {
        segkit_civil_from_days((int32_t)day, &y, &m, &d);
      }
      ri = (sk__func)in->b == SK__F_YEAR ? y : (int64_t)m;
      break;
    }
    }
    if (out_f) {
      ((double *)vm->vals[in->dst])[i] = ok ? rf : 0;
    } else {
      ((int64_t *)vm->vals[in->dst])[i] = ok ? ri : 0;
    }
    dk[i] = ok;
  }
}

static bool op_func(sk__vm *vm, const sk__run *run, const sk__insn *in, size_t n) {
  switch ((sk__func)in->b) {
  case SK__F_LOWER:
  case SK__F_UPPER:
    return op_case(vm, in, n, (sk__func)in->b == SK__F_UPPER);
  case SK__F_STARTS_WITH:
  case SK__F_ENDS_WITH:
  case SK__F_CONTAINS:
  case SK__F_MATCHES:
    op_string_test(vm, run, in, n);
    return true;
  default:
    op_number_func(vm, run, in, n);
    return true;
  }
}

static void op_segment(sk__vm *vm, const sk__run *run, const sk__insn *in, size_t start, size_t n) {
  const uint64_t *bits = run->segment_bits[in->a];
  uint8_t *dv = vm->vals[in->dst];
  for (size_t i = 0; i < n; i++) {
    dv[i] = bit_at(bits, start + i);
  }
  memset(vm->valid[in->dst], 1, n);
}

static void op_load_agg(sk__vm *vm, const sk__run *run, const sk__insn *in, size_t start, size_t n) {
  const sk__agg_result *r = &run->aggs[in->a];
  memcpy(vm->valid[in->dst], r->valid + start, n);
  if (in->imm == 1) {
    memcpy(vm->vals[in->dst], r->f + start, n * sizeof(double));
  } else if (in->imm == 2) {
    uint8_t *dv = vm->vals[in->dst];
    for (size_t i = 0; i < n; i++) {
      dv[i] = (uint8_t)(r->valid[start + i] & (r->i[start + i] != 0));
    }
  } else {
    memcpy(vm->vals[in->dst], r->i + start, n * sizeof(int64_t));
  }
}

bool sk__vm_run(sk__vm *vm, const sk__run *run, size_t start, size_t n) {
  const sk__program *p = vm->prog;
  scratch_reset(vm);
  for (size_t k = 0; k < p->n_code; k++) {
    const sk__insn *in = &p->code[k];
    switch (in->op) {
    case SK__OP_CONST: op_const(vm, in, n); break;
    case SK__OP_LOAD: op_load(vm, run, in, start, n); break;
    case SK__OP_LOAD_DICT: op_load_dict(vm, run, in, start, n); break;
    case SK__OP_LOAD_AGG: op_load_agg(vm, run, in, start, n); break;
    case SK__OP_SEGMENT: op_segment(vm, run, in, start, n); break;
    case SK__OP_CMPC_I64:
    case SK__OP_CMPC_I32:
    case SK__OP_CMPC_F64:
    case SK__OP_CMPC_CODE: op_cmpc(vm, run, in, start, n); break;
    case SK__OP_AND:
    case SK__OP_OR:
    case SK__OP_NOT: op_logic(vm, in, n); break;
    case SK__OP_CMP: op_cmp(vm, in, n); break;
    case SK__OP_IN: op_in(vm, in, n); break;
    case SK__OP_IN_CONST: op_in_const(vm, in, n); break;
    case SK__OP_ARITH: op_arith(vm, in, n); break;
    case SK__OP_CAST_F:
    case SK__OP_DATE_TO_TS:
    case SK__OP_ADD_MONTHS:
    case SK__OP_NEG: op_unary_num(vm, in, n); break;
    case SK__OP_ISNULL: {
      const uint8_t *ak = vm->valid[in->a];
      uint8_t *dv = vm->vals[in->dst];
      for (size_t i = 0; i < n; i++) {
        dv[i] = (uint8_t)(ak[i] ^ (in->b == 1 ? 0u : 1u));
      }
      memset(vm->valid[in->dst], 1, n);
      break;
    }
    case SK__OP_COALESCE: op_coalesce(vm, in, n); break;
    case SK__OP_FUNC:
      if (!op_func(vm, run, in, n)) {
        return false;
      }
      break;
    }
  }
  return true;
}
