/* A rule's life: compile (lex, parse, check, then one program for the rule and one per
 * aggregate's where clause), evaluate (aggregates, then the rule's program over ranges of
 * customer rows, one range per thread, each a whole number of 64-row words so threads
 * never share a word of the output bitset), free. Results do not depend on the number of
 * threads: every row's value is computed from that row alone. */
#include <stdlib.h>
#include <string.h>

#include "segment/segment_int.h"

/* ---- compile ---------------------------------------------------------------------- */

static void info_free(sk__rule_info *info) {
  free(info->aggs);
  for (size_t i = 0; i < info->n_segment_refs; i++) {
    free(info->segment_refs[i]);
  }
  free(info->segment_refs);
  for (size_t i = 0; i < info->n_regexes; i++) {
    regfree(&info->regexes[i]);
  }
  free(info->regexes);
  memset(info, 0, sizeof *info);
}

void segkit_rule_free(segkit_rule *rule) {
  if (rule == NULL) {
    return;
  }
  sk__program_free(&rule->main);
  for (size_t k = 0; rule->where != NULL && k < rule->info.n_aggs; k++) {
    sk__program_free(&rule->where[k]);
  }
  free(rule->where);
  info_free(&rule->info);
  sk__arena_free(&rule->arena);
  free(rule->text);
  free(rule);
}

static segkit_status compile_programs(segkit_rule *rule, const segkit_rule_env *env, segkit_error *err) {
  size_t n = rule->info.n_aggs;
  rule->where = calloc(n > 0 ? n : 1, sizeof *rule->where);
  if (rule->where == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  for (size_t k = 0; k < n; k++) {
    sk__node *agg = rule->info.aggs[k];
    if (agg->where == NULL) {
      continue;
    }
    segkit_status s = sk__compile_program(env, &rule->info, agg->where, true, agg->link,
                                          &rule->where[k], err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return sk__compile_program(env, &rule->info, rule->root, false, -1, &rule->main, err);
}

segkit_status segkit_rule_compile(const segkit_rule_env *env, const char *text, segkit_rule **out,
                                  segkit_rule_diag *diag, segkit_error *err) {
  if (env == NULL || text == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_rule_compile: NULL argument");
  }
  if (diag != NULL) {
    memset(diag, 0, sizeof *diag);
  }
  size_t len = strlen(text);
  if (len > SK__MAX_RULE_BYTES) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "rule is %zu bytes (expected at most %d)",
                            len, SK__MAX_RULE_BYTES);
  }
  segkit_rule *rule = calloc(1, sizeof *rule);
  if (rule == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  rule->text = malloc(len + 1);
  if (rule->text == NULL) {
    free(rule);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  memcpy(rule->text, text, len + 1);
  sk__ctx cx = {.text = rule->text, .text_len = len, .diag = diag, .err = err, .env = env};
  sk__token *toks = NULL;
  size_t n_toks = 0;
  segkit_status s = sk__lex(&cx, &toks, &n_toks);
  if (s == SEGKIT_OK) {
    s = sk__parse(&cx, toks, n_toks, &rule->root);
  }
  if (s == SEGKIT_OK) {
    s = sk__check(&cx, rule->root, &rule->info);
  }
  rule->arena = cx.arena;
  if (s == SEGKIT_OK) {
    s = compile_programs(rule, env, err);
  }
  if (s != SEGKIT_OK) {
    segkit_rule_free(rule);
    return s;
  }
  rule->n_links_at_compile = env->n_links;
  *out = rule;
  return SEGKIT_OK;
}

size_t segkit_rule_n_segment_refs(const segkit_rule *rule) {
  return rule != NULL ? rule->info.n_segment_refs : 0;
}

const char *segkit_rule_segment_ref(const segkit_rule *rule, size_t i) {
  if (rule == NULL || i >= rule->info.n_segment_refs) {
    return NULL;
  }
  return rule->info.segment_refs[i];
}

/* ---- evaluate --------------------------------------------------------------------- */

typedef struct eval_job {
  const sk__run *run;
  uint64_t *bits;
  size_t begin, end; /* multiples of 64, except end == n_rows */
  size_t count;
  bool failed;
} eval_job;

static void *eval_worker(void *arg) {
  eval_job *j = arg;
  const sk__program *p = &j->run->rule->main;
  sk__vm vm;
  if (sk__vm_init(&vm, p) != SEGKIT_OK) {
    j->failed = true;
    return NULL;
  }
  size_t count = 0;
  for (size_t s = j->begin; s < j->end; s += SK__BATCH) {
    size_t n = j->end - s < SK__BATCH ? j->end - s : SK__BATCH;
    if (!sk__vm_run(&vm, j->run, s, n)) {
      j->failed = true;
      break;
    }
    const uint8_t *v = vm.vals[p->result];
    for (size_t w = 0; w * 64 < n; w++) {
      uint64_t word = 0;
      size_t lim = n - w * 64 < 64 ? n - w * 64 : 64;
      for (size_t b = 0; b < lim; b++) {
        word |= (uint64_t)v[w * 64 + b] << b;
      }
      j->bits[(s >> 6) + w] = word;
      count += (size_t)__builtin_popcountll(word);
    }
  }
  j->count = count;
  sk__vm_free(&vm);
  return NULL;
}

segkit_status segkit_rule_eval(const segkit_rule *rule, const segkit_rule_env *env, int n_threads,
                               uint64_t *bits, size_t *count, segkit_error *err) {
  if (rule == NULL || env == NULL || bits == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_rule_eval: NULL argument");
  }
  if (env->n_links < rule->n_links_at_compile) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "rule was compiled in another environment");
  }
  size_t n_refs = rule->info.n_segment_refs;
  const uint64_t **seg = calloc(n_refs > 0 ? n_refs : 1, sizeof *seg);
  if (seg == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < n_refs; i++) {
    const sk__segbits *sb = sk__env_find_segment(env, rule->info.segment_refs[i]);
    if (sb == NULL) {
      free(seg);
      return segkit_error_set(err, SEGKIT_ERR_NOT_FOUND,
                              "in_segment(\"%s\"): no such segment in the environment",
                              rule->info.segment_refs[i]);
    }
    seg[i] = sb->bits;
  }
  size_t n_aggs = rule->info.n_aggs;
  sk__agg_result *aggs = calloc(n_aggs > 0 ? n_aggs : 1, sizeof *aggs);
  if (aggs == NULL) {
    free(seg);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  segkit_status s = sk__aggregates_compute(rule, env, seg, n_threads, aggs, err);
  if (s == SEGKIT_OK) {
    sk__run run = {.env = env, .rule = rule, .regexes = rule->info.regexes, .aggs = aggs,
                   .segment_bits = seg};
    size_t n = env->n_rows;
    int nt = sk__thread_count(n_threads, n);
    size_t words = (n + 63) / 64;
    size_t per = (words + (size_t)nt - 1) / (size_t)nt * 64;
    eval_job jobs[SK__MAX_WORKERS];
    for (int t = 0; t < nt; t++) {
      size_t b = per * (size_t)t;
      jobs[t] = (eval_job){.run = &run, .bits = bits, .begin = b < n ? b : n,
                           .end = b + per < n ? b + per : n};
    }
    sk__run_workers(eval_worker, jobs, sizeof jobs[0], nt);
    size_t total = 0;
    for (int t = 0; t < nt; t++) {
      total += jobs[t].count;
      if (jobs[t].failed) {
        s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory evaluating the rule");
      }
    }
    if (s == SEGKIT_OK && count != NULL) {
      *count = total;
    }
  }
  sk__aggregates_free(aggs, n_aggs);
  free(aggs);
  free(seg);
  return s;
}
