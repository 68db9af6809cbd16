/* The server's table cache: datasets loaded once and shared by requests.
 *
 * Loading a dataset is most of what a segment request costs (a 200 k-row fact table takes
 * longer to read back than the rule takes to run), so tables are kept between requests,
 * read-only, shared by every thread (tables are immutable once built: table.h).
 *
 * Freshness: an entry is keyed by the dataset's name and a stamp read from the catalogue on
 * every acquire (one indexed query): creation time, last import time, rows and batches.
 * Every import (append, upsert, replace) rewrites the import time and a drop + re-create
 * changes the creation time, so the next request after a change sees a different stamp and
 * loads again; the old entry is then stale. The stamp is read before and after a load, and
 * a table whose stamp moved meanwhile is handed out privately (not cached), so the cache
 * never files rows under a stamp they do not belong to.
 *
 * Lifetime: entries are reference-counted. A request holds its tables until it releases
 * them, so an eviction or invalidation by another request only unlinks an entry; the table
 * is freed when its last holder lets go. Memory: entries not held are evicted least
 * recently used first while the cache holds more than its budget; a table larger than the
 * whole budget is never cached. Concurrency: one mutex over the entries; loads run outside
 * it, and requests that want a table another request is loading wait for that load
 * (a condition variable) rather than loading it a second time.
 *
 * Fact indexes: a rule over linked facts groups the fact rows by customer row
 * (segkit_link_index: 0.15-0.26 s on 19.8 M transactions, a third of such a count). The
 * grouping depends on the fact table and on the customers table, so it is kept in the fact
 * table's entry (same stamp, same lifetime, counted in its bytes) under the serial of the
 * customers' entry: a re-import of either gives a new entry, hence a new index; an index
 * for customers no longer cached is dropped when its entry is next idle. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

typedef struct stamp {
  int64_t created_at_us;
  int64_t imported_at_us;
  int64_t n_rows;
  int64_t n_batches;
} stamp;

/* A fact table's index by customer (segkit_link_index), kept beside the table: valid for
 * the customers table of cache entry `customers` (its serial) and these two columns. */
typedef struct kept_index {
  struct kept_index *next;
  uint64_t customers;
  char *key;
  char *fact_column;
  segkit_link_index *ix;
  size_t bytes;
} kept_index;

typedef struct entry {
  struct entry *next;
  char *name;
  uint64_t serial; /* unique per entry: names the table it holds for the indexes */
  kept_index *indexes;
  stamp st;
  segkit_table *table; /* NULL while loading */
  size_t bytes;
  int refs;
  uint64_t last_used;
  bool loading;
  bool linked; /* in the list; false once stale or evicted */
} entry;

struct sk_table_cache {
  pthread_mutex_t lock;
  pthread_cond_t loaded;
  entry *head;
  entry *unlinked; /* stale or evicted entries still held by requests */
  size_t budget;
  size_t bytes; /* of linked, loaded entries */
  uint64_t tick;
  uint64_t serials;
  sk_cache_stats stats;
};

segkit_status sk__cache_new(size_t budget_bytes, sk_table_cache **out, segkit_error *err) {
  sk_table_cache *c = calloc(1, sizeof *c);
  if (c == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  if (pthread_mutex_init(&c->lock, NULL) != 0) {
    free(c);
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "cannot create a mutex");
  }
  if (pthread_cond_init(&c->loaded, NULL) != 0) {
    pthread_mutex_destroy(&c->lock);
    free(c);
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "cannot create a condition variable");
  }
  c->budget = budget_bytes;
  *out = c;
  return SEGKIT_OK;
}

static void kept_index_free(kept_index *k) {
  segkit_link_index_free(k->ix);
  free(k->key);
  free(k->fact_column);
  free(k);
}

static void entry_free(entry *e) {
  for (kept_index *k = e->indexes; k != NULL;) {
    kept_index *next = k->next;
    kept_index_free(k);
    k = next;
  }
  segkit_table_free(e->table);
  free(e->name);
  free(e);
}

void sk__cache_free(sk_table_cache *c) {
  if (c == NULL) {
    return;
  }
  /* Every request has finished: nothing is held any more. */
  for (entry *e = c->head; e != NULL;) {
    entry *next = e->next;
    entry_free(e);
    e = next;
  }
  for (entry *e = c->unlinked; e != NULL;) {
    entry *next = e->next;
    entry_free(e);
    e = next;
  }
  pthread_cond_destroy(&c->loaded);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

void sk__cache_stats_get(sk_table_cache *c, sk_cache_stats *out) {
  pthread_mutex_lock(&c->lock);
  *out = c->stats;
  out->bytes = c->bytes;
  out->entries = 0;
  for (entry *e = c->head; e != NULL; e = e->next) {
    out->entries++;
  }
  pthread_mutex_unlock(&c->lock);
}

/* ---- the list (caller holds the lock) -------------------------------------------------- */

static void unlink_entry(sk_table_cache *c, entry *e) {
  entry **p = &c->head;
  while (*p != NULL && *p != e) {
    p = &(*p)->next;
  }
  if (*p == e) {
    *p = e->next;
  }
  if (!e->loading && e->table != NULL) {
    c->bytes -= e->bytes;
  }
  e->linked = false;
  if (e->refs > 0) {
    e->next = c->unlinked;
    c->unlinked = e;
  } else {
    entry_free(e);
  }
}

/* Evict unheld entries, least recently used first, while over budget. */
static void evict(sk_table_cache *c) {
  while (c->bytes > c->budget) {
    entry *victim = NULL;
    for (entry *e = c->head; e != NULL; e = e->next) {
      if (e->refs == 0 && !e->loading && (victim == NULL || e->last_used < victim->last_used)) {
        victim = e;
      }
    }
    if (victim == NULL) {
      return; /* everything left is in use: over budget until it is released */
    }
    c->stats.evictions++;
    unlink_entry(c, victim);
  }
}

static entry *find(sk_table_cache *c, const char *name) {
  for (entry *e = c->head; e != NULL; e = e->next) {
    if (strcmp(e->name, name) == 0) {
      return e;
    }
  }
  return NULL;
}

static bool same_stamp(const stamp *a, const stamp *b) {
  return a->created_at_us == b->created_at_us && a->imported_at_us == b->imported_at_us &&
         a->n_rows == b->n_rows && a->n_batches == b->n_batches;
}

/* Whether stamp a is of a later state of the dataset than b (re-created or re-imported
 * since). Times come from the importing process's clock, as the workspace records them. */
static bool newer(const stamp *a, const stamp *b) {
  return a->created_at_us > b->created_at_us ||
         (a->created_at_us == b->created_at_us && a->imported_at_us > b->imported_at_us);
}

/* The linked, loaded entry holding `table`, or NULL. */
static entry *entry_of(sk_table_cache *c, const segkit_table *table) {
  for (entry *e = c->head; e != NULL; e = e->next) {
    if (!e->loading && e->table == table) {
      return e;
    }
  }
  return NULL;
}

static bool serial_linked(const sk_table_cache *c, uint64_t serial) {
  for (const entry *e = c->head; e != NULL; e = e->next) {
    if (e->serial == serial && !e->loading) {
      return true;
    }
  }
  return false;
}

/* Drop the indexes of linked entry e (held by no request, so none is lent) whose customers
 * table is no longer cached: the customers changed, and they would never be asked for. */
static void prune_indexes(sk_table_cache *c, entry *e) {
  for (kept_index **p = &e->indexes; *p != NULL;) {
    kept_index *k = *p;
    if (serial_linked(c, k->customers)) {
      p = &k->next;
      continue;
    }
    *p = k->next;
    e->bytes -= k->bytes;
    c->bytes -= k->bytes;
    kept_index_free(k);
  }
}

static kept_index *find_index(const entry *e, uint64_t customers, const char *key,
                              const char *fact_column) {
  for (kept_index *k = e->indexes; k != NULL; k = k->next) {
    if (k->customers == customers && strcmp(k->key, key) == 0 &&
        strcmp(k->fact_column, fact_column) == 0) {
      return k;
    }
  }
  return NULL;
}

/* ---- fact indexes ------------------------------------------------------------------------- */

segkit_status sk__cache_index(void *ctx, const segkit_rule_env *env, const segkit_table *customers,
                              const char *key, const segkit_table *facts, const char *fact_column,
                              const segkit_link_index **out, segkit_error *err) {
  (void)err;
  sk_table_cache *c = ctx;
  *out = NULL;
  pthread_mutex_lock(&c->lock);
  entry *fe = entry_of(c, facts);
  entry *ce = entry_of(c, customers);
  size_t n_facts = segkit_table_n_rows(facts);
  size_t bytes = (segkit_table_n_rows(customers) + 1) * sizeof(uint64_t) +
                 n_facts * (sizeof(uint32_t) + sizeof(int32_t)) + 64;
  /* Kept only for tables the cache holds, and within the budget (an entry over it would be
   * evicted at its release, table and all): otherwise the evaluation indexes them. */
  if (fe == NULL || ce == NULL || fe->bytes + bytes > c->budget) {
    pthread_mutex_unlock(&c->lock);
    return SEGKIT_OK;
  }
  uint64_t serial = ce->serial;
  kept_index *k = find_index(fe, serial, key, fact_column);
  if (k != NULL) {
    c->stats.index_hits++;
    *out = k->ix;
    pthread_mutex_unlock(&c->lock);
    return SEGKIT_OK;
  }
  pthread_mutex_unlock(&c->lock);
  /* Built outside the lock (0.2 s on 20 M rows); the request holds facts, so fe lives. A
   * failure is left to the evaluation's own link, which reports it with the link's name. */
  segkit_link_index *ix = NULL;
  segkit_error ignored;
  if (segkit_link_index_new(env, facts, fact_column, &ix, &ignored) != SEGKIT_OK) {
    return SEGKIT_OK;
  }
  k = calloc(1, sizeof *k);
  char *key_copy = strdup(key);
  char *col_copy = strdup(fact_column);
  if (k == NULL || key_copy == NULL || col_copy == NULL) {
    free(k);
    free(key_copy);
    free(col_copy);
    segkit_link_index_free(ix);
    return SEGKIT_OK;
  }
  *k = (kept_index){.customers = serial,
                    .key = key_copy,
                    .fact_column = col_copy,
                    .ix = ix,
                    .bytes = segkit_link_index_memory_bytes(ix)};
  pthread_mutex_lock(&c->lock);
  kept_index *other = find_index(fe, serial, key, fact_column);
  if (other != NULL) { /* another request built it meanwhile: lend that one */
    kept_index_free(k);
    k = other;
  } else {
    k->next = fe->indexes;
    fe->indexes = k;
    c->stats.index_builds++;
    if (fe->linked) { /* an unlinked entry's indexes go with it, uncounted */
      fe->bytes += k->bytes;
      c->bytes += k->bytes;
      evict(c);
    }
  }
  *out = k->ix;
  pthread_mutex_unlock(&c->lock);
  return SEGKIT_OK;
}

/* ---- acquiring and releasing ------------------------------------------------------------ */

static segkit_status read_stamp(segkit_workspace *ws, const char *name, stamp *st,
                                segkit_error *err) {
  segkit_dataset_list *info = NULL;
  segkit_status s = segkit_workspace_dataset_info(ws, name, &info, err);
  if (s == SEGKIT_OK) {
    st->created_at_us = info->items[0].created_at_us;
    st->imported_at_us = info->items[0].imported_at_us;
    st->n_rows = info->items[0].n_rows;
    st->n_batches = info->items[0].n_batches;
  }
  segkit_dataset_list_free(info);
  return s;
}

/* Load outside the lock, then file the table in its placeholder (or drop the placeholder
 * and hand the table out privately when it cannot be cached). */
static segkit_status load_into(sk_table_cache *c, segkit_workspace *ws, entry *e,
                               const segkit_table **out, segkit_error *err) {
  segkit_table *t = NULL;
  segkit_status s = segkit_workspace_load(ws, e->name, &t, err);
  stamp after;
  if (s == SEGKIT_OK) {
    s = read_stamp(ws, e->name, &after, err);
  }
  pthread_mutex_lock(&c->lock);
  e->loading = false;
  bool keep = s == SEGKIT_OK && same_stamp(&after, &e->st) && e->linked;
  size_t bytes = t != NULL ? segkit_table_memory_bytes(t) : 0;
  keep = keep && bytes <= c->budget;
  if (keep) {
    e->table = t;
    e->bytes = bytes;
    c->bytes += bytes;
    c->stats.loads++;
    e->last_used = ++c->tick;
    *out = t;
  } else {
    /* Not cached: the placeholder goes; the table (if any) is the request's alone. */
    e->refs--;
    unlink_entry(c, e);
    if (s == SEGKIT_OK) {
      c->stats.uncached++;
      *out = t;
    } else {
      segkit_table_free(t);
    }
  }
  if (keep) {
    evict(c);
  }
  pthread_cond_broadcast(&c->loaded);
  pthread_mutex_unlock(&c->lock);
  return s;
}

/* A load for this request alone, released by sk__cache_release like the others. */
static segkit_status load_private(sk_table_cache *c, segkit_workspace *ws, const char *name,
                                  const segkit_table **out, segkit_error *err) {
  segkit_table *t = NULL;
  segkit_status s = segkit_workspace_load(ws, name, &t, err);
  if (s == SEGKIT_OK) {
    pthread_mutex_lock(&c->lock);
    c->stats.uncached++;
    pthread_mutex_unlock(&c->lock);
    *out = t;
  }
  return s;
}

segkit_status sk__cache_acquire(void *ctx, segkit_workspace *ws, const char *name,
                                const segkit_table **out, segkit_error *err) {
  sk_table_cache *c = ctx;
  stamp st;
  segkit_status s = read_stamp(ws, name, &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  pthread_mutex_lock(&c->lock);
  for (;;) {
    entry *e = find(c, name);
    if (e != NULL && e->loading) {
      pthread_cond_wait(&c->loaded, &c->lock);
      continue;
    }
    if (e != NULL && same_stamp(&e->st, &st)) {
      e->refs++;
      e->last_used = ++c->tick;
      c->stats.hits++;
      *out = e->table;
      pthread_mutex_unlock(&c->lock);
      return SEGKIT_OK;
    }
    if (e != NULL && newer(&e->st, &st)) {
      /* This request read the catalogue just before a change another request already
       * cached: it loads privately rather than evict the newer entry. */
      c->stats.misses++;
      pthread_mutex_unlock(&c->lock);
      return load_private(c, ws, name, out, err);
    }
    if (e != NULL) {
      c->stats.invalidations++;
      unlink_entry(c, e); /* stale: the dataset changed since it was loaded */
    }
    break;
  }
  entry *e = calloc(1, sizeof *e);
  char *copy = strdup(name);
  if (e == NULL || copy == NULL) {
    pthread_mutex_unlock(&c->lock);
    free(e);
    free(copy);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  e->name = copy;
  e->serial = ++c->serials;
  e->st = st;
  e->loading = true;
  e->linked = true;
  e->refs = 1;
  e->next = c->head;
  c->head = e;
  c->stats.misses++;
  pthread_mutex_unlock(&c->lock);
  return load_into(c, ws, e, out, err);
}

void sk__cache_release(void *ctx, const segkit_table *table) {
  sk_table_cache *c = ctx;
  pthread_mutex_lock(&c->lock);
  for (entry *e = c->head; e != NULL; e = e->next) {
    if (e->table == table) {
      if (--e->refs == 0) {
        prune_indexes(c, e);
      }
      evict(c);
      pthread_mutex_unlock(&c->lock);
      return;
    }
  }
  for (entry **p = &c->unlinked; *p != NULL; p = &(*p)->next) {
    entry *e = *p;
    if (e->table == table) {
      if (--e->refs == 0) {
        *p = e->next;
        entry_free(e);
      }
      pthread_mutex_unlock(&c->lock);
      return;
    }
  }
  pthread_mutex_unlock(&c->lock);
  /* A table handed out privately (not cached). */
  segkit_table_free((segkit_table *)table);
}
