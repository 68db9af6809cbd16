/* server_int.h: internals of the HTTP server (src/server), shared by its files only.
 *
 * The files split the work by concept, in the order a request meets them:
 *   daemon.c          libmicrohttpd: start/stop, limits, reading bodies, sending replies
 *   router.c          method + path -> route and its path parameters (pure, unit-tested)
 *   auth.c            "Authorization: Bearer KEY" -> a principal (key id, role), with a
 *                     cache of verified keys
 *   keys.c            key format, Argon2id hashing, the api_keys rows (public key_* API)
 *   json_reply.c      replies as JSON: bodies, errors, segkit status -> HTTP status
 *   table_cache.c     datasets loaded once and shared by requests (refcounted, bounded,
 *                     invalidated when the dataset changes)
 *   endpoints_*.c     one handler per route
 *   openapi.c         the OpenAPI document (kept equal to docs/openapi.json by a test)
 * Handlers never see libmicrohttpd: they get an sk_request and fill an sk_reply, so they
 * can be tested without a socket. */
#ifndef SEGKIT_SERVER_INT_H
#define SEGKIT_SERVER_INT_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/segeval.h"
#include "segkit/segment.h"
#include "segkit/server.h"
#include "segkit/workspace.h"

/* ---- keys.c --------------------------------------------------------------------------- */

enum {
  SK_KEY_ID_HEX = 16,       /* public id: 8 random bytes as hex */
  SK_KEY_SECRET_HEX = 64,   /* secret: 32 random bytes as hex */
  /* "sk_" id "_" secret */
  SK_KEY_LEN = 3 + SK_KEY_ID_HEX + 1 + SK_KEY_SECRET_HEX,
  SK_KEY_HASH_MAX = 128     /* >= crypto_pwhash_STRBYTES */
};

/* The id of a well-formed key into id (SK_KEY_ID_HEX + 1 bytes); false when the text is
 * not shaped like a key (then it cannot be one, and no hash is tried). */
bool sk__key_split(const char *key, char *id);
/* Argon2id hash (crypto_pwhash_str, interactive limits) of key into hash. */
segkit_status sk__key_hash(const char *key, char *hash, segkit_error *err);
/* Whether key matches hash (constant time in libsodium). */
bool sk__key_verify(const char *hash, const char *key);
/* A new random key and its id. */
segkit_status sk__key_generate(char *key, char *id, segkit_error *err);

/* A connection of our own to the workspace file, for the api_keys rows: the public
 * workspace handle does not expose SQL, and the keys are the server's own table
 * (created by the store's migration 5). busy_timeout 30 s, like the workspace. */
segkit_status sk__keys_db_open(const char *path, sqlite3 **out, segkit_error *err);

typedef struct sk_key_row {
  char id[SK_KEY_ID_HEX + 1];
  segkit_server_role role;
  bool revoked;
  int64_t last_used_at_us;
  char hash[SK_KEY_HASH_MAX];
} sk_key_row;

/* The row of key id: *found false when there is none. */
segkit_status sk__key_find(sqlite3 *db, const char *id, sk_key_row *row, bool *found,
                           segkit_error *err);
/* Record a use of key id at now_us. */
segkit_status sk__key_touch(sqlite3 *db, const char *id, int64_t now_us, segkit_error *err);

/* ---- auth.c --------------------------------------------------------------------------- */

typedef struct sk_principal {
  char id[SK_KEY_ID_HEX + 1];
  segkit_server_role role;
} sk_principal;

typedef enum sk_auth_result {
  SK_AUTH_OK = 0,
  SK_AUTH_MISSING,   /* no Authorization header, or not "Bearer KEY" */
  SK_AUTH_INVALID,   /* unknown, revoked or wrong key */
  SK_AUTH_ERROR      /* the workspace could not be read: err says why */
} sk_auth_result;

typedef struct sk_auth sk_auth;

segkit_status sk__auth_new(sk_auth **out, segkit_error *err);
void sk__auth_free(sk_auth *a);
/* The key in an Authorization header value ("Bearer KEY", scheme case-insensitive, one
 * or more spaces), or NULL. Points into header. */
const char *sk__auth_bearer(const char *header);
/* Who the header's key belongs to. Thread-safe. */
sk_auth_result sk__auth_check(sk_auth *a, const char *workspace, const char *header,
                              sk_principal *who, segkit_error *err);

/* ---- json_reply.c ------------------------------------------------------------------- */

/* A streamed body: called for the next bytes from offset pos into buf (up to max);
 * returns how many were written, 0 is not allowed, -1 at the end. */
typedef long (*sk_stream_fn)(void *ctx, uint64_t pos, char *buf, size_t max);

typedef struct sk_reply {
  unsigned status;
  json_t *body;       /* owned; NULL only after an allocation failure */
  /* Instead of a JSON body (body NULL): a stream, sent with content_type (static text)
   * and, when disposition[0], a Content-Disposition header. stream_free(stream_ctx) runs
   * once the stream is done or dropped. */
  const char *content_type;
  sk_stream_fn stream;
  void *stream_ctx;
  void (*stream_free)(void *ctx);
  char disposition[160];
  char etag[48]; /* when etag[0]: sent as the ETag header (a segment's version) */
} sk_reply;

/* Take body (a new reference, may be NULL after an allocation failure) as the reply. */
void sk__reply_json(sk_reply *r, unsigned status, json_t *body);
/* {"error": {"code": code, "message": ...}}. */
void sk__reply_error(sk_reply *r, unsigned status, const char *code, const char *fmt, ...)
    SEGKIT_PRINTF(4, 5);
/* A library error as a reply: NOT_FOUND 404, EXISTS 409, USAGE/PARSE/TYPE/SCHEMA 400,
 * LIMIT 413, the rest 500. */
void sk__reply_from_error(sk_reply *r, const segkit_error *err);
/* Take a stream as the reply (see sk_reply); ctx is freed with free_fn even on failure. */
void sk__reply_stream(sk_reply *r, unsigned status, const char *content_type, sk_stream_fn fn,
                      void *ctx, void (*free_fn)(void *ctx));
/* The reply's body as compact JSON text (malloc'd), or NULL when out of memory. */
char *sk__reply_text(const sk_reply *r, size_t *len);
void sk__reply_clear(sk_reply *r);

/* ---- body.c ----------------------------------------------------------------------------- */

typedef enum sk_field_kind {
  SK_FIELD_STRING,
  SK_FIELD_BOOL,
  SK_FIELD_INT,
  SK_FIELD_OBJECT
} sk_field_kind;

typedef struct sk_field {
  const char *name;
  sk_field_kind kind;
  bool required; /* optional fields may also be null */
} sk_field;

/* The body as a JSON object holding only `fields` (each of its kind, the required ones
 * present), a new reference; NULL with a 400 in out (malformed_json, unknown_field,
 * invalid_field, missing_field) otherwise. allow_empty: an empty body is {}. */
json_t *sk__body_object(const char *body, size_t len, const sk_field *fields, size_t n,
                        bool allow_empty, sk_reply *out);
/* The bodies of POST and PUT /api/v1/segments (SK_SEGMENT_N_FIELDS fields), POST
 * /api/v1/rules/check (SK_RULE_CHECK_N_FIELDS), /api/v1/keys (2) and
 * /api/v1/segments/{name}/snapshots (1), shared with the fuzz target. */
enum { SK_SEGMENT_N_FIELDS = 7, SK_RULE_CHECK_N_FIELDS = 6 };
extern const sk_field sk__segment_fields[];
extern const sk_field sk__segment_put_fields[];
extern const sk_field sk__rule_check_fields[];
extern const sk_field sk__key_fields[];
extern const sk_field sk__snapshot_fields[];
/* Whether `rates` (NULL: none) is written out (USD=1,EUR=1.08) rather than a path, which the
 * server must not read for a client; false with a 400 naming field 'rates' in out. */
bool sk__inline_rates_ok(const char *rates, sk_reply *out);
/* A segment's context (JSON text, or NULL for none) from `base` (a stored segment's, or NULL)
 * with doc's key, subscriptions and rates applied: a field left out keeps base's, null drops
 * it. NULL with a 500 in out when out of memory. */
char *sk__segment_context(const char *base, const json_t *doc, sk_reply *out);
/* A name the workspace accepts for datasets and segments: 1-64 of [A-Za-z0-9_-]. */
bool sk__valid_name(const char *s);

/* ---- router.c --------------------------------------------------------------------------- */

enum { SK_MAX_PARAMS = 2, SK_PARAM_MAX = 256 };

typedef struct sk_server_ctx sk_server_ctx;
struct sk_match;

typedef struct sk_request {
  const char *workspace;          /* path of the workspace file */
  const struct sk_match *match;
  const char *body;               /* NUL-terminated; "" when none */
  size_t body_len;
  const sk_principal *who;        /* NULL on public routes */
  /* A query-string argument, or NULL. */
  const char *(*query)(void *ctx, const char *name);
  void *query_ctx;
  /* Where segment evaluations get their tables (NULL: loaded from the workspace), and
   * their facts' indexes by customer (NULL: built per evaluation). */
  const segkit_segeval_loader *loader;
  const segkit_segeval_indexer *indexer;
  /* An import upload's body, streamed to this temporary file (body is then ""; body_len
   * its size); NULL for other requests. */
  const char *body_path;
  const char *content_type; /* the request's Content-Type header, or NULL */
  const char *if_match;     /* the request's If-Match header, or NULL */
} sk_request;

typedef void (*sk_handler)(const sk_request *req, sk_reply *out);

typedef struct sk_route {
  const char *method;
  const char *pattern;            /* "/api/v1/segments/{name}/count": {x} is one segment */
  sk_handler handler;
  segkit_server_role min_role;    /* 0: public, no key needed */
} sk_route;

typedef struct sk_match {
  const sk_route *route;
  size_t n_params;
  char params[SK_MAX_PARAMS][SK_PARAM_MAX];
} sk_match;

typedef enum sk_route_result {
  SK_ROUTE_FOUND = 0,
  SK_ROUTE_NO_PATH,     /* 404 */
  SK_ROUTE_NO_METHOD,   /* 405: the path exists with another method */
  SK_ROUTE_BAD_PARAM    /* a parameter longer than SK_PARAM_MAX - 1: 404 too */
} sk_route_result;

sk_route_result sk__route(const sk_route *table, size_t n, const char *method,
                          const char *path, sk_match *m);
/* The API's routes (endpoints_*.c handlers). */
const sk_route *sk__api_routes(size_t *n);

/* ---- table_cache.c ---------------------------------------------------------------------- */

typedef struct sk_table_cache sk_table_cache;

typedef struct sk_cache_stats {
  uint64_t hits;          /* acquires served from memory */
  uint64_t misses;        /* acquires that loaded */
  uint64_t loads;         /* loads filed in the cache */
  uint64_t uncached;      /* loads handed out privately (too big, or changed meanwhile) */
  uint64_t evictions;     /* entries dropped for the budget */
  uint64_t invalidations; /* entries dropped because their dataset changed */
  uint64_t index_hits;    /* fact indexes by customer lent from memory */
  uint64_t index_builds;  /* fact indexes built and kept beside their table */
  size_t bytes;           /* held by cached tables */
  size_t entries;
} sk_cache_stats;

/* A cache holding at most budget_bytes of tables that no request holds. */
segkit_status sk__cache_new(size_t budget_bytes, sk_table_cache **out, segkit_error *err);
/* Free; no table may be held any more. NULL is a no-op. */
void sk__cache_free(sk_table_cache *c);
/* A segkit_segeval_loader over the cache (ctx: the cache). Thread-safe. */
segkit_status sk__cache_acquire(void *ctx, segkit_workspace *ws, const char *name,
                                const segkit_table **out, segkit_error *err);
void sk__cache_release(void *ctx, const segkit_table *table);
/* A segkit_segeval_indexer over the cache: the index of cached facts by the rows of cached
 * customers, kept in the facts' entry (built on first use); NULL (and SEGKIT_OK) for
 * tables the cache does not hold. Thread-safe. */
segkit_status sk__cache_index(void *ctx, const segkit_rule_env *env, const segkit_table *customers,
                              const char *key, const segkit_table *facts, const char *fact_column,
                              const segkit_link_index **out, segkit_error *err);
void sk__cache_stats_get(sk_table_cache *c, sk_cache_stats *out);

/* ---- evaluating segments ----------------------------------------------------------------- */

/* Options of a segment evaluation for a request: now, one thread (the server's parallelism
 * is its pool of request threads), the request's table loader. */
void sk__eval_options(const sk_request *req, segkit_segeval_options *opt);
/* The query's as_of (YYYY-MM-DD or ISO 8601) into *now_us when present; false with a 400
 * in out when it is malformed. */
bool sk__query_as_of(const sk_request *req, int64_t *now_us, sk_reply *out);

/* ---- endpoints_static.c -------------------------------------------------------------- */

struct MHD_Connection;
/* The dashboard's files (GET or HEAD of "/" and "/assets/NAME"), no key needed: true when
 * url is one of them, the reply then queued on c with *queued libmicrohttpd's result. They
 * bypass sk_reply because they are bytes with caching and security headers, not JSON. */
bool sk__static_serve(struct MHD_Connection *c, const char *method, const char *url, int *queued);

/* ---- handlers (endpoints_*.c) ------------------------------------------------------- */

void sk__get_health(const sk_request *req, sk_reply *out);
void sk__get_openapi(const sk_request *req, sk_reply *out);
void sk__get_datasets(const sk_request *req, sk_reply *out);
void sk__get_dataset(const sk_request *req, sk_reply *out);
void sk__get_segments(const sk_request *req, sk_reply *out);
void sk__get_segment(const sk_request *req, sk_reply *out);
void sk__get_segment_count(const sk_request *req, sk_reply *out);
void sk__get_segment_members(const sk_request *req, sk_reply *out);
void sk__post_segment(const sk_request *req, sk_reply *out);
void sk__put_segment(const sk_request *req, sk_reply *out);
void sk__delete_segment(const sk_request *req, sk_reply *out);
void sk__post_rule_check(const sk_request *req, sk_reply *out);
void sk__get_whoami(const sk_request *req, sk_reply *out);
void sk__post_dataset_import(const sk_request *req, sk_reply *out);
/* members_export.c: every member of ev as CSV, streamed; takes ws and ev (freed when the
 * stream ends). */
void sk__members_csv(const sk_request *req, segkit_workspace *ws, segkit_segeval *ev,
                     sk_reply *out);
void sk__post_snapshot(const sk_request *req, sk_reply *out);
void sk__get_snapshots(const sk_request *req, sk_reply *out);
void sk__get_segment_diff(const sk_request *req, sk_reply *out);
void sk__get_keys(const sk_request *req, sk_reply *out);
void sk__post_key(const sk_request *req, sk_reply *out);
void sk__delete_key(const sk_request *req, sk_reply *out);
void sk__get_views(const sk_request *req, sk_reply *out);
void sk__get_view(const sk_request *req, sk_reply *out);

/* endpoints_views.c: the process's views handle. _start (once the daemon listens) warms it
 * in the background for `workspace`, logging through log when done, then evaluates the
 * stored segments once through loader and indexer (the server's cache); _stop (after the
 * daemon has stopped, before the cache is freed) stops and joins the warm-ups using that
 * loader, and all of them and the handle once the last server stops. _warm: the newest
 * handle has computed every view; *segments: the start's evaluation of the stored
 * segments is done (GET /api/v1/health). */
void sk__views_start(const char *workspace, void (*log)(void *ctx, const char *message),
                     void *log_ctx, const segkit_segeval_loader *loader,
                     const segkit_segeval_indexer *indexer);
void sk__views_stop(const segkit_segeval_loader *loader);
bool sk__views_warm(bool *segments);

/* Open the request's own workspace connection (read-only for GETs); on failure the reply
 * is filled and NULL returned. */
segkit_workspace *sk__request_workspace(const sk_request *req, bool write, sk_reply *out);
/* "key:ID", the audit actor of a request's principal. */
void sk__actor_of(const sk_principal *who, char *buf, size_t size);

#endif
