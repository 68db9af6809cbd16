/* Aggregates over linked fact tables, computed once per evaluation for every customer
 * before the rule's own program runs, which then reads them like columns. Two passes per
 * aggregate: the where clause (a program of its own over the fact rows, in table order,
 * split into ranges across threads) marks the qualifying rows; then each customer's rows,
 * found through the link's CSR index (segment env.c), are folded in table order, so sums
 * of floats do not depend on the number of threads. The window `last D` keeps rows whose
 * time t satisfies now - D < t <= now. */
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segment/segment_int.h"

void sk__aggregates_free(sk__agg_result *r, size_t n) {
  if (r == NULL) {
    return;
  }
  for (size_t k = 0; k < n; k++) {
    free(r[k].i);
    free(r[k].f);
    free(r[k].valid);
  }
}

/* ---- pass 1: where over fact rows ----------------------------------------------------- */

typedef struct where_job {
  const sk__program *prog;
  const sk__run *run;
  uint8_t *keep;
  size_t begin, end;
  bool failed;
} where_job;

static void *where_worker(void *arg) {
  where_job *j = arg;
  sk__vm vm;
  if (sk__vm_init(&vm, j->prog) != SEGKIT_OK) {
    j->failed = true;
    return NULL;
  }
  for (size_t s = j->begin; s < j->end; s += SK__BATCH) {
    size_t n = j->end - s < SK__BATCH ? j->end - s : SK__BATCH;
    if (!sk__vm_run(&vm, j->run, s, n)) {
      j->failed = true;
      break;
    }
    memcpy(j->keep + s, vm.vals[j->prog->result], n);
  }
  sk__vm_free(&vm);
  return NULL;
}

static segkit_status run_where(const sk__program *prog, const sk__run *run, size_t n_rows,
                               int n_threads, uint8_t *keep, segkit_error *err) {
  int nt = sk__thread_count(n_threads, n_rows);
  where_job jobs[SK__MAX_WORKERS];
  size_t per = (n_rows + (size_t)nt - 1) / (size_t)nt;
  for (int t = 0; t < nt; t++) {
    size_t b = per * (size_t)t;
    jobs[t] = (where_job){.prog = prog, .run = run, .keep = keep,
                          .begin = b < n_rows ? b : n_rows,
                          .end = b + per < n_rows ? b + per : n_rows};
  }
  sk__run_workers(where_worker, jobs, sizeof jobs[0], nt);
  for (int t = 0; t < nt; t++) {
    if (jobs[t].failed) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory evaluating a where clause");
    }
  }
  return SEGKIT_OK;
}

/* ---- pass 2: fold each customer's rows ------------------------------------------- */

typedef struct fold_job {
  const sk__node *agg;
  const sk__link *link;
  const uint8_t *keep; /* NULL: every row */
  int64_t now_us;
  sk__agg_result *out;
  size_t begin, end;
} fold_job;

typedef struct reader {
  const segkit_column *col;
  const uint64_t *bm;
  const int64_t *i64;
  const int32_t *i32;
  const double *f64;
} reader;

static reader reader_of(const segkit_table *t, long c) {
  reader r = {0};
  if (c < 0) {
    return r;
  }
  r.col = segkit_table_column(t, (size_t)c);
  r.bm = segkit_column_validity(r.col);
  r.i64 = segkit_column_int64(r.col);
  if (r.i64 == NULL) {
    r.i64 = segkit_column_timestamp(r.col);
  }
  r.i32 = segkit_column_date(r.col);
  r.f64 = segkit_column_float64(r.col);
  return r;
}

static inline bool valid_at(const reader *r, size_t row) {
  return (r->bm[row >> 6] >> (row & 63)) & 1u;
}

/* Time of a row in microseconds (dates at midnight UTC). A date so far out that its
 * microseconds overflow (beyond +-292 000 years) saturates: it stays before or after
 * every real instant. */
static inline int64_t time_at(const reader *r, size_t row) {
  if (r->i32 == NULL) {
    return r->i64[row];
  }
  int64_t us = 0;
  if (__builtin_mul_overflow((int64_t)r->i32[row], SEGKIT_US_PER_DAY, &us)) {
    return r->i32[row] < 0 ? INT64_MIN : INT64_MAX;
  }
  return us;
}

static inline int64_t int_at(const reader *r, size_t row) {
  return r->i32 != NULL ? (int64_t)r->i32[row] : r->i64[row];
}

typedef struct acc {
  int64_t n;
  int64_t isum;
  double fsum;
  bool overflow;
  bool have;
  int64_t ibest;
  double fbest;
  int64_t tbest;
} acc;

static void fold_row(acc *a, const sk__node *agg, const reader *val, const reader *tim, size_t row) {
  bool is_f = val->f64 != NULL;
  a->n++;
  if (agg->agg == SK__A_COUNT || agg->agg == SK__A_EXISTS) {
    return;
  }
  int64_t xi = is_f ? 0 : int_at(val, row);
  double xf = is_f ? val->f64[row] : 0;
  switch (agg->agg) {
  case SK__A_SUM:
  case SK__A_AVG:
    if (is_f) {
      a->fsum += xf;
    } else {
      a->overflow = a->overflow || __builtin_add_overflow(a->isum, xi, &a->isum);
      a->fsum += (double)xi;
    }
    return;
  case SK__A_MIN:
  case SK__A_MAX: {
    bool better = !a->have || (agg->agg == SK__A_MIN ? (is_f ? xf < a->fbest : xi < a->ibest)
                                                     : (is_f ? xf > a->fbest : xi > a->ibest));
    if (better) {
      a->ibest = xi;
      a->fbest = xf;
      a->have = true;
    }
    return;
  }
  default: { /* FIRST / LAST: by time, ties to the smaller (first) / larger (last) value */
    int64_t t = time_at(tim, row);
    bool last = agg->agg == SK__A_LAST;
    bool better = !a->have || (last ? t > a->tbest : t < a->tbest);
    if (a->have && t == a->tbest) {
      better = last ? (is_f ? xf > a->fbest : xi > a->ibest) : (is_f ? xf < a->fbest : xi < a->ibest);
    }
    if (better) {
      a->tbest = t;
      a->ibest = xi;
      a->fbest = xf;
      a->have = true;
    }
    return;
  }
  }
}

static void store(const acc *a, const sk__node *agg, bool is_f, sk__agg_result *out, size_t c) {
  int64_t i = 0;
  double f = 0;
  bool ok = true;
  switch (agg->agg) {
  case SK__A_COUNT: i = a->n; break;
  case SK__A_EXISTS: i = a->n > 0; break;
  case SK__A_SUM:
    /* SQL: the sum of no rows is null. An int64 sum that overflows is null too. */
    ok = a->n > 0 && !a->overflow;
    i = a->isum;
    f = a->fsum;
    break;
  case SK__A_AVG:
    ok = a->n > 0;
    f = ok ? a->fsum / (double)a->n : 0;
    break;
  default:
    ok = a->have;
    i = a->ibest;
    f = a->fbest;
    break;
  }
  if (out->f != NULL) {
    out->f[c] = ok ? (agg->agg == SK__A_AVG || is_f ? f : (double)i) : 0;
  }
  if (out->i != NULL) {
    out->i[c] = ok ? i : 0;
  }
  out->valid[c] = ok;
}

static void *fold_worker(void *arg) {
  fold_job *j = arg;
  const sk__node *agg = j->agg;
  const sk__link *l = j->link;
  reader val = reader_of(l->facts, agg->agg_col);
  reader tim = reader_of(l->facts, l->time_col);
  bool needs_time = agg->has_window || agg->agg == SK__A_FIRST || agg->agg == SK__A_LAST;
  int64_t lo = 0;
  if (__builtin_sub_overflow(j->now_us, agg->window_us, &lo)) {
    lo = INT64_MIN;
  }
  for (size_t c = j->begin; c < j->end; c++) {
    acc a = {0};
    for (uint64_t k = l->off[c]; k < l->off[c + 1]; k++) {
      size_t row = l->perm[k];
      if (j->keep != NULL && !j->keep[row]) {
        continue;
      }
      if (needs_time && !valid_at(&tim, row)) {
        continue;
      }
      if (agg->has_window) {
        int64_t t = time_at(&tim, row);
        if (t <= lo || t > j->now_us) {
          continue;
        }
      }
      if (val.col != NULL && !valid_at(&val, row)) {
        continue; /* aggregates skip null values, as in SQL */
      }
      fold_row(&a, agg, &val, &tim, row);
    }
    store(&a, agg, val.f64 != NULL, j->out, c);
  }
  return NULL;
}

static segkit_status alloc_result(const sk__node *agg, size_t n, sk__agg_result *r, segkit_error *err) {
  size_t m = n > 0 ? n : 1;
  bool f = agg->type == SK__V_FLOAT;
  r->valid = malloc(m);
  if (f) {
    r->f = malloc(m * sizeof *r->f);
  } else {
    r->i = malloc(m * sizeof *r->i);
  }
  if (r->valid == NULL || (f ? r->f == NULL : r->i == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for aggregate %s()", sk__agg_name(agg->agg));
  }
  return SEGKIT_OK;
}

static segkit_status compute_one(const segkit_rule *rule, const sk__run *run, size_t slot,
                                 int n_threads, sk__agg_result *out, segkit_error *err) {
  const segkit_rule_env *env = run->env;
  const sk__node *agg = rule->info.aggs[slot];
  const sk__link *l = &env->links[agg->link];
  segkit_status s = alloc_result(agg, env->n_rows, out, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  uint8_t *keep = NULL;
  if (rule->where[slot].code != NULL) {
    size_t nf = segkit_table_n_rows(l->facts);
    keep = malloc(nf > 0 ? nf : 1);
    if (keep == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a where clause");
    }
    s = run_where(&rule->where[slot], run, nf, n_threads, keep, err);
    if (s != SEGKIT_OK) {
      free(keep);
      return s;
    }
  }
  int nt = sk__thread_count(n_threads, env->n_rows);
  fold_job jobs[SK__MAX_WORKERS];
  size_t per = (env->n_rows + (size_t)nt - 1) / (size_t)nt;
  for (int t = 0; t < nt; t++) {
    size_t b = per * (size_t)t;
    jobs[t] = (fold_job){.agg = agg, .link = l, .keep = keep, .now_us = env->now_us, .out = out,
                         .begin = b < env->n_rows ? b : env->n_rows,
                         .end = b + per < env->n_rows ? b + per : env->n_rows};
  }
  sk__run_workers(fold_worker, jobs, sizeof jobs[0], nt);
  free(keep);
  return SEGKIT_OK;
}

segkit_status sk__aggregates_compute(const segkit_rule *rule, const segkit_rule_env *env,
                                     const uint64_t *const *segment_bits, int n_threads,
                                     sk__agg_result *out, segkit_error *err) {
  sk__run run = {.env = env, .rule = rule, .regexes = rule->info.regexes, .aggs = NULL,
                 .segment_bits = segment_bits};
  for (size_t k = 0; k < rule->info.n_aggs; k++) {
    segkit_status s = compute_one(rule, &run, k, n_threads, &out[k], err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}
