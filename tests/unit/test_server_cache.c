/* The server's table cache (src/server/table_cache.c): a second acquire is served from
 * memory; a re-import or a drop + re-create is seen by the next acquire while a holder of
 * the old table keeps reading it; unheld tables are evicted least recently used first when
 * over budget, held ones never; and threads acquiring, reading and releasing while another
 * re-imports always see a whole table of one import or the other (ASan checks the frees). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"
#include "testkit.h"

typedef struct fixture {
  char *dir;
  char *path;
  segkit_workspace *ws;
} fixture;

/* A one-column table of n rows 0..n-1 (value + offset), so a reader can check it is whole. */
static void import_rows(segkit_workspace *ws, const char *name, size_t n, int64_t offset) {
  const char *names[] = {"v"};
  segkit_type types[] = {SEGKIT_TYPE_INT64};
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(1, names, types, &b, NULL), SEGKIT_OK);
  for (size_t i = 0; i < n; i++) {
    segkit_column_append_int64(segkit_table_builder_column(b, 0), (int64_t)i + offset);
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, NULL), SEGKIT_OK);
  segkit_import_request req = {.dataset = name, .mode = SEGKIT_IMPORT_REPLACE, .table = t};
  segkit_import_outcome oc;
  segkit_error err;
  if (segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK) {
    fail_msg("import %s: %s", name, err.message);
  }
  segkit_table_free(t);
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->dir = tu_mkdtemp();
  f->path = tu_path_join(f->dir, "ws.segkit");
  assert_int_equal(segkit_workspace_open(f->path, SEGKIT_WORKSPACE_CREATE, &f->ws, NULL),
                   SEGKIT_OK);
  import_rows(f->ws, "a", 1000, 0);
  import_rows(f->ws, "b", 1000, 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  segkit_workspace_close(f->ws);
  tu_rmtree(f->dir);
  free(f->path);
  free(f->dir);
  free(f);
  return 0;
}

static const segkit_table *get(sk_table_cache *c, segkit_workspace *ws, const char *name) {
  const segkit_table *t = NULL;
  segkit_error err;
  if (sk__cache_acquire(c, ws, name, &t, &err) != SEGKIT_OK) {
    fail_msg("acquire %s: %s", name, err.message);
  }
  return t;
}

static void server_cache_hit_after_load(void **state) {
  fixture *f = *state;
  sk_table_cache *c = NULL;
  assert_int_equal(sk__cache_new((size_t)64 << 20, &c, NULL), SEGKIT_OK);
  const segkit_table *t1 = get(c, f->ws, "a");
  const segkit_table *t2 = get(c, f->ws, "a");
  assert_ptr_equal(t1, t2);
  sk__cache_release(c, t1);
  sk__cache_release(c, t2);
  const segkit_table *t3 = get(c, f->ws, "a");
  assert_ptr_equal(t1, t3);
  sk__cache_release(c, t3);
  sk_cache_stats st;
  sk__cache_stats_get(c, &st);
  assert_int_equal(st.misses, 1);
  assert_int_equal(st.hits, 2);
  assert_int_equal(st.entries, 1);
  assert_int_equal(st.bytes, segkit_table_memory_bytes(t1));
  segkit_error err;
  const segkit_table *t = NULL;
  assert_int_equal(sk__cache_acquire(c, f->ws, "nope", &t, &err), SEGKIT_ERR_NOT_FOUND);
  sk__cache_free(c);
}

static void server_cache_sees_reimport_and_keeps_held_table(void **state) {
  fixture *f = *state;
  sk_table_cache *c = NULL;
  assert_int_equal(sk__cache_new((size_t)64 << 20, &c, NULL), SEGKIT_OK);
  const segkit_table *old = get(c, f->ws, "a");
  assert_int_equal(segkit_table_n_rows(old), 1000);
  /* Same row count, new contents: the import time tells them apart. */
  import_rows(f->ws, "a", 1000, 5);
  const segkit_table *now = get(c, f->ws, "a");
  assert_ptr_not_equal(old, now);
  assert_int_equal(segkit_column_int64(segkit_table_column(now, 0))[0], 5);
  /* The holder of the old table still reads it whole. */
  assert_int_equal(segkit_column_int64(segkit_table_column(old, 0))[999], 999);
  sk__cache_release(c, old);
  sk__cache_release(c, now);
  /* Dropped and created again with the same rows: the creation time tells them apart. */
  segkit_error err;
  assert_int_equal(segkit_workspace_drop(f->ws, "a", &err), SEGKIT_OK);
  const segkit_table *t = NULL;
  assert_int_equal(sk__cache_acquire(c, f->ws, "a", &t, &err), SEGKIT_ERR_NOT_FOUND);
  import_rows(f->ws, "a", 1000, 5);
  t = get(c, f->ws, "a");
  sk__cache_release(c, t);
  sk_cache_stats st;
  sk__cache_stats_get(c, &st);
  assert_int_equal(st.invalidations, 2);
  assert_int_equal(st.misses, 3);
  assert_int_equal(st.entries, 1);
  sk__cache_free(c);
}

static void server_cache_evicts_lru_but_not_held(void **state) {
  fixture *f = *state;
  import_rows(f->ws, "c", 1000, 0);
  /* Room for two of the three equal tables. */
  const segkit_table *probe = NULL;
  segkit_table *loaded = NULL;
  assert_int_equal(segkit_workspace_load(f->ws, "a", &loaded, NULL), SEGKIT_OK);
  size_t one = segkit_table_memory_bytes(loaded);
  segkit_table_free(loaded);
  sk_table_cache *c = NULL;
  assert_int_equal(sk__cache_new(2 * one + one / 2, &c, NULL), SEGKIT_OK);
  const segkit_table *a = get(c, f->ws, "a");
  const segkit_table *b = get(c, f->ws, "b");
  sk__cache_release(c, a);
  sk__cache_release(c, b);
  probe = get(c, f->ws, "a"); /* a is now more recent than b */
  sk__cache_release(c, probe);
  const segkit_table *cc = get(c, f->ws, "c"); /* evicts b, the least recently used */
  sk_cache_stats st;
  sk__cache_stats_get(c, &st);
  assert_int_equal(st.evictions, 1);
  assert_int_equal(st.entries, 2);
  probe = get(c, f->ws, "a");
  assert_ptr_equal(probe, a); /* still cached */
  /* Both held: loading b goes over budget, but nothing held is evicted. */
  const segkit_table *b2 = get(c, f->ws, "b");
  sk__cache_stats_get(c, &st);
  assert_int_equal(st.entries, 3);
  assert_int_equal(segkit_column_int64(segkit_table_column(cc, 0))[999], 999);
  sk__cache_release(c, b2);   /* the release brings it back under budget */
  sk__cache_stats_get(c, &st);
  assert_int_equal(st.entries, 2);
  assert_true(st.bytes <= 2 * one + one / 2);
  sk__cache_release(c, probe);
  sk__cache_release(c, cc);
  /* A table larger than the whole budget is lent but not kept. */
  sk_table_cache *tiny = NULL;
  assert_int_equal(sk__cache_new(one / 2, &tiny, NULL), SEGKIT_OK);
  const segkit_table *big = get(tiny, f->ws, "a");
  assert_int_equal(segkit_table_n_rows(big), 1000);
  sk__cache_release(tiny, big);
  sk__cache_stats_get(tiny, &st);
  assert_int_equal(st.entries, 0);
  assert_int_equal(st.uncached, 1);
  sk__cache_free(tiny);
  sk__cache_free(c);
}

/* ---- threads ------------------------------------------------------------------------------ */

enum { READERS = 6, ROUNDS = 60, REIMPORTS = 5 };

typedef struct reader {
  const char *path;
  sk_table_cache *cache;
  int bad;
} reader;

static void *read_loop(void *arg) {
  reader *r = arg;
  segkit_workspace *ws = NULL;
  if (segkit_workspace_open(r->path, SEGKIT_WORKSPACE_READONLY, &ws, NULL) != SEGKIT_OK) {
    r->bad++;
    return NULL;
  }
  for (int i = 0; i < ROUNDS; i++) {
    const char *name = i % 2 == 0 ? "a" : "b";
    const segkit_table *t = NULL;
    segkit_error err;
    if (sk__cache_acquire(r->cache, ws, name, &t, &err) != SEGKIT_OK) {
      r->bad++;
      continue;
    }
    /* Whole and of one import: v[i] == i + offset for one offset. */
    const int64_t *v = segkit_column_int64(segkit_table_column(t, 0));
    size_t n = segkit_table_n_rows(t);
    for (size_t k = 0; k < n; k++) {
      r->bad += v[k] != (int64_t)k + v[0];
    }
    r->bad += n != 1000;
    sk__cache_release(r->cache, t);
  }
  segkit_workspace_close(ws);
  return NULL;
}

static void server_cache_threads_with_a_writer(void **state) {
  fixture *f = *state;
  sk_table_cache *c = NULL;
  /* A budget of about one table, so eviction and invalidation both happen under load. */
  assert_int_equal(sk__cache_new(12000, &c, NULL), SEGKIT_OK);
  pthread_t th[READERS];
  reader rs[READERS];
  for (int i = 0; i < READERS; i++) {
    rs[i] = (reader){f->path, c, 0};
    assert_int_equal(pthread_create(&th[i], NULL, read_loop, &rs[i]), 0);
  }
  for (int k = 1; k <= REIMPORTS; k++) {
    import_rows(f->ws, k % 2 == 0 ? "a" : "b", 1000, 100 * k);
  }
  int bad = 0;
  for (int i = 0; i < READERS; i++) {
    pthread_join(th[i], NULL);
    bad += rs[i].bad;
  }
  assert_int_equal(bad, 0);
  sk_cache_stats st;
  sk__cache_stats_get(c, &st);
  assert_int_equal(st.hits + st.misses, READERS * ROUNDS);
  sk__cache_free(c);
}

/* Members of rule `count(f) >= 1` over customers `cust` (key v) with f linked by v through
 * index ix (NULL: built by the link itself). */
static size_t members_with(const segkit_table *cust, const segkit_table *facts,
                           const segkit_link_index *ix) {
  segkit_rule_env *env = NULL;
  segkit_error err;
  assert_int_equal(segkit_rule_env_new(cust, "v", 0, &env, &err), SEGKIT_OK);
  segkit_status s = ix != NULL ? segkit_rule_env_link_indexed(env, "f", facts, "v", NULL, ix, &err)
                               : segkit_rule_env_link(env, "f", facts, "v", NULL, &err);
  if (s != SEGKIT_OK) {
    fail_msg("link: %s", err.message);
  }
  segkit_rule *rule = NULL;
  assert_int_equal(segkit_rule_compile(env, "count(f) >= 1", &rule, NULL, &err), SEGKIT_OK);
  size_t n = segkit_table_n_rows(cust);
  uint64_t *bits = calloc((n + 63) / 64 + 1, sizeof *bits);
  size_t count = 0;
  assert_int_equal(segkit_rule_eval(rule, env, 1, bits, &count, &err), SEGKIT_OK);
  free(bits);
  segkit_rule_free(rule);
  segkit_rule_env_free(env);
  return count;
}

static const segkit_link_index *index_of(sk_table_cache *c, const segkit_table *cust,
                                         const segkit_table *facts) {
  segkit_rule_env *env = NULL;
  segkit_error err;
  assert_int_equal(segkit_rule_env_new(cust, "v", 0, &env, &err), SEGKIT_OK);
  const segkit_link_index *ix = NULL;
  assert_int_equal(sk__cache_index(c, env, cust, "v", facts, "v", &ix, &err), SEGKIT_OK);
  segkit_rule_env_free(env); /* the index does not borrow from the environment */
  return ix;
}

/* The facts' index by customer is kept beside the cached facts: lent again (the same one)
 * while neither table changes, built anew for a re-imported fact table (whose old entry,
 * still held, keeps its own), and not kept for tables the cache does not hold. Counts
 * with the kept index equal those of a link that builds its own. */
static void server_cache_keeps_fact_index(void **state) {
  fixture *f = *state;
  import_rows(f->ws, "f", 1500, 0); /* v 0..1499: customers 0..999 have one row each */
  sk_table_cache *c = NULL;
  assert_int_equal(sk__cache_new((size_t)64 << 20, &c, NULL), SEGKIT_OK);
  const segkit_table *cust = get(c, f->ws, "a");
  const segkit_table *facts = get(c, f->ws, "f");
  const segkit_link_index *ix1 = index_of(c, cust, facts);
  assert_non_null(ix1);
  assert_ptr_equal(index_of(c, cust, facts), ix1);
  sk_cache_stats st;
  sk__cache_stats_get(c, &st);
  assert_int_equal(st.index_builds, 1);
  assert_int_equal(st.index_hits, 1);
  assert_true(st.bytes >= segkit_table_memory_bytes(cust) + segkit_table_memory_bytes(facts) +
                              segkit_link_index_memory_bytes(ix1));
  assert_int_equal(members_with(cust, facts, ix1), 1000);
  assert_int_equal(members_with(cust, facts, NULL), 1000);

  /* The facts are replaced (v 700..2199: customers 700..999 have rows). */
  import_rows(f->ws, "f", 1500, 700);
  const segkit_table *facts2 = get(c, f->ws, "f");
  assert_ptr_not_equal(facts2, facts);
  const segkit_link_index *ix2 = index_of(c, cust, facts2);
  assert_non_null(ix2);
  assert_ptr_not_equal(ix2, ix1);
  assert_int_equal(members_with(cust, facts2, ix2), 300);
  assert_int_equal(members_with(cust, facts2, NULL), 300);
  assert_int_equal(members_with(cust, facts, ix1), 1000); /* the old holder still reads */
  segkit_error err;
  segkit_rule_env *env = NULL;
  assert_int_equal(segkit_rule_env_new(cust, "v", 0, &env, &err), SEGKIT_OK);
  assert_int_equal(segkit_rule_env_link_indexed(env, "f", facts2, "v", NULL, ix1, &err),
                   SEGKIT_ERR_USAGE);
  segkit_rule_env_free(env);
  sk__cache_release(c, facts);

  /* A table handed out privately (not cached: over the budget) gets no kept index. */
  sk_table_cache *tiny = NULL;
  assert_int_equal(sk__cache_new(16, &tiny, NULL), SEGKIT_OK);
  const segkit_table *private_facts = get(tiny, f->ws, "f");
  assert_null(index_of(tiny, cust, private_facts));
  sk__cache_release(tiny, private_facts);
  sk__cache_free(tiny);

  sk__cache_release(c, facts2);
  sk__cache_release(c, cust);
  sk__cache_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(server_cache_hit_after_load, setup, teardown),
      cmocka_unit_test_setup_teardown(server_cache_sees_reimport_and_keeps_held_table, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(server_cache_evicts_lru_but_not_held, setup, teardown),
      cmocka_unit_test_setup_teardown(server_cache_threads_with_a_writer, setup, teardown),
      cmocka_unit_test_setup_teardown(server_cache_keeps_fact_index, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
