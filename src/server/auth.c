/* Authentication: "Authorization: Bearer KEY" -> who is asking and with which role.
 *
 * Every request reads its key's row (so a revocation or a role change counts from the next
 * request), but the Argon2id verification (~0.1 s, 64 MiB) is done once per key per server
 * process: a verified key is remembered as a keyed BLAKE2b digest of the key (the cache
 * key is random per process, so the cache holds nothing a reader of memory could replay
 * elsewhere), and later requests compare digests in constant time. Verifications are
 * serialised by their own lock, so a burst of new or wrong keys costs one Argon2 memory
 * block at a time rather than one per thread, and two requests with the same new key do
 * the work once. The row's last_used_at is written at most once a minute per key, and
 * never waited for, so readers do not turn into writers that queue behind a POST.
 *
 * Each server thread keeps its own connection for the key rows (a thread-specific value,
 * closed when the thread ends): opening SQLite per request cost as much as a cheap
 * endpoint's whole work (files stat'ed, the schema parsed, global mutexes taken). A
 * connection outside a transaction reads the latest committed rows on every query, so a
 * revocation still counts from the next request; one that failed is dropped and reopened. */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "segkit/datetime.h"
#include "server/server_int.h"

enum { CACHE_SLOTS = 64 };
#define TOUCH_EVERY_US (60 * (int64_t)1000000)

typedef struct cache_slot {
  bool used;
  char id[SK_KEY_ID_HEX + 1];
  unsigned char digest[crypto_generichash_BYTES];
  int64_t touched_us;
} cache_slot;

/* A thread's connection to the key rows of the workspace at `path`. */
typedef struct thread_db {
  sqlite3 *db;
  char *path;
} thread_db;

struct sk_auth {
  pthread_key_t conns;          /* thread_db of each thread */
  pthread_mutex_t lock;         /* the slots */
  pthread_mutex_t verify_lock;  /* one Argon2 verification at a time */
  unsigned char cache_key[crypto_generichash_KEYBYTES];
  cache_slot slots[CACHE_SLOTS];
  size_t next;                  /* slot to reuse when full (round robin) */
};

static void close_thread_db(void *p) {
  thread_db *t = p;
  if (t != NULL) {
    sqlite3_close(t->db);
    free(t->path);
    free(t);
  }
}

/* This thread's connection to workspace's key rows, opened on first use. */
static sqlite3 *thread_conn(sk_auth *a, const char *workspace, segkit_error *err) {
  thread_db *t = pthread_getspecific(a->conns);
  if (t != NULL && strcmp(t->path, workspace) == 0) {
    return t->db;
  }
  close_thread_db(t);
  pthread_setspecific(a->conns, NULL);
  t = calloc(1, sizeof *t);
  if (t == NULL || (t->path = strdup(workspace)) == NULL) {
    free(t);
    segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    return NULL;
  }
  if (sk__keys_db_open(workspace, &t->db, err) != SEGKIT_OK) {
    free(t->path);
    free(t);
    return NULL;
  }
  pthread_setspecific(a->conns, t);
  return t->db;
}

/* Drop this thread's connection (after an error: the next request opens a fresh one). */
static void drop_thread_conn(sk_auth *a) {
  close_thread_db(pthread_getspecific(a->conns));
  pthread_setspecific(a->conns, NULL);
}

segkit_status sk__auth_new(sk_auth **out, segkit_error *err) {
  if (sodium_init() < 0) {
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "libsodium could not be initialised");
  }
  sk_auth *a = calloc(1, sizeof *a);
  if (a == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  if (pthread_mutex_init(&a->lock, NULL) != 0) {
    free(a);
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "cannot create a mutex");
  }
  if (pthread_mutex_init(&a->verify_lock, NULL) != 0) {
    pthread_mutex_destroy(&a->lock);
    free(a);
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "cannot create a mutex");
  }
  if (pthread_key_create(&a->conns, close_thread_db) != 0) {
    pthread_mutex_destroy(&a->lock);
    pthread_mutex_destroy(&a->verify_lock);
    free(a);
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "cannot create a thread key");
  }
  randombytes_buf(a->cache_key, sizeof a->cache_key);
  *out = a;
  return SEGKIT_OK;
}

void sk__auth_free(sk_auth *a) {
  if (a == NULL) {
    return;
  }
  /* Threads that ended closed theirs; this is the calling thread's (tests call from main). */
  drop_thread_conn(a);
  pthread_key_delete(a->conns);
  pthread_mutex_destroy(&a->lock);
  pthread_mutex_destroy(&a->verify_lock);
  sodium_memzero(a, sizeof *a);
  free(a);
}

const char *sk__auth_bearer(const char *header) {
  if (header == NULL || strncasecmp(header, "Bearer", 6) != 0 ||
      (header[6] != ' ' && header[6] != '\t')) {
    return NULL;
  }
  const char *p = header + 6;
  while (*p == ' ' || *p == '\t') {
    p++;
  }
  return *p != '\0' ? p : NULL;
}

static void digest_of(const sk_auth *a, const char *key, unsigned char *out) {
  crypto_generichash(out, crypto_generichash_BYTES, (const unsigned char *)key, strlen(key),
                     a->cache_key, sizeof a->cache_key);
}

/* The slot of id with this digest, or NULL. Caller holds the lock. */
static cache_slot *cached(sk_auth *a, const char *id, const unsigned char *digest) {
  for (size_t i = 0; i < CACHE_SLOTS; i++) {
    cache_slot *s = &a->slots[i];
    if (s->used && strcmp(s->id, id) == 0 &&
        sodium_memcmp(s->digest, digest, crypto_generichash_BYTES) == 0) {
      return s;
    }
  }
  return NULL;
}

static void remember(sk_auth *a, const char *id, const unsigned char *digest,
                     int64_t touched_us) {
  pthread_mutex_lock(&a->lock);
  if (cached(a, id, digest) == NULL) {
    cache_slot *s = &a->slots[a->next];
    a->next = (a->next + 1) % CACHE_SLOTS;
    s->used = true;
    snprintf(s->id, sizeof s->id, "%s", id);
    memcpy(s->digest, digest, crypto_generichash_BYTES);
    s->touched_us = touched_us;
  }
  pthread_mutex_unlock(&a->lock);
}

/* Whether the key is known good: from the cache, or by Argon2 once. *touch says whether
 * the row's last_used_at is due an update. */
static bool verified(sk_auth *a, const sk_key_row *row, const char *key, bool *touch) {
  unsigned char digest[crypto_generichash_BYTES];
  digest_of(a, key, digest);
  int64_t now = segkit_now_us();
  pthread_mutex_lock(&a->lock);
  cache_slot *hit = cached(a, row->id, digest);
  *touch = hit != NULL && now - hit->touched_us >= TOUCH_EVERY_US;
  if (*touch) {
    hit->touched_us = now;
  }
  pthread_mutex_unlock(&a->lock);
  if (hit != NULL) {
    return true;
  }
  pthread_mutex_lock(&a->verify_lock);
  /* Another thread may have verified this key while we waited. */
  pthread_mutex_lock(&a->lock);
  hit = cached(a, row->id, digest);
  pthread_mutex_unlock(&a->lock);
  bool ok = hit != NULL || sk__key_verify(row->hash, key);
  if (ok && hit == NULL) {
    remember(a, row->id, digest, now);
    *touch = true;
  }
  pthread_mutex_unlock(&a->verify_lock);
  return ok;
}

sk_auth_result sk__auth_check(sk_auth *a, const char *workspace, const char *header,
                              sk_principal *who, segkit_error *err) {
  const char *key = sk__auth_bearer(header);
  if (key == NULL) {
    return SK_AUTH_MISSING;
  }
  char id[SK_KEY_ID_HEX + 1];
  if (!sk__key_split(key, id)) {
    return SK_AUTH_INVALID;
  }
  sqlite3 *db = thread_conn(a, workspace, err);
  if (db == NULL) {
    return SK_AUTH_ERROR;
  }
  sk_key_row row;
  bool found = false;
  sk_auth_result result = SK_AUTH_INVALID;
  if (sk__key_find(db, id, &row, &found, err) != SEGKIT_OK) {
    result = SK_AUTH_ERROR;
  } else if (found && !row.revoked) {
    bool touch = false;
    if (verified(a, &row, key, &touch)) {
      result = SK_AUTH_OK;
      memcpy(who->id, id, sizeof who->id);
      who->role = row.role;
    }
    /* Best effort, without waiting: a reader must not queue behind a writer (a POST
     * holding the write lock) just to record a "last used" time; a failed touch is
     * retried a minute later at most. */
    segkit_error ignored;
    if (touch) {
      sqlite3_busy_timeout(db, 0);
      sk__key_touch(db, id, segkit_now_us(), &ignored);
      sqlite3_busy_timeout(db, 30000);
    }
  }
  if (result == SK_AUTH_ERROR) {
    drop_thread_conn(a);
  }
  return result;
}
