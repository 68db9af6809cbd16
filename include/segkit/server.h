/* segkit/server.h: the HTTP/JSON API (GNU libmicrohttpd) and its API keys.
 *
 * A server serves one workspace under /api/v1/ (docs/api.md; the OpenAPI document is
 * segkit_server_openapi(), also committed as docs/openapi.json). It runs on a pool of
 * libmicrohttpd threads; every request opens its own workspace connection, so a request
 * sees one committed state of the workspace (SQLite WAL) and never a half-written segment.
 *
 * API keys: segkit_server_key_create makes a random key, returns it once, and stores only
 * its Argon2id hash (libsodium crypto_pwhash_str) with its role (read < write < admin) in
 * the workspace. A key is "sk_" + a public id (16 hex digits, stored in clear to find the
 * row) + "_" + a secret (64 hex digits); see docs/api.md for why verifications are cached.
 *
 * Ownership: segkit_server_start returns a running server the caller stops and frees with
 * segkit_server_stop. Strings and lists returned are the caller's (free() / _free). The
 * library never prints and never exits: errors come back as a status and a segkit_error,
 * and libmicrohttpd's own messages go to the options' log callback (if any). Threads:
 * segkit_server_stop must not be called from a request; the key functions may be called
 * from any thread with their own workspace handle. */
#ifndef SEGKIT_SERVER_H
#define SEGKIT_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/workspace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- API keys --------------------------------------------------------------------- */

/* Roles are ordered: a key may do what its role and every lower role may. */
typedef enum segkit_server_role {
  SEGKIT_ROLE_READ = 1,   /* every GET */
  SEGKIT_ROLE_WRITE = 2,  /* and creating / deleting segments */
  SEGKIT_ROLE_ADMIN = 3   /* and managing keys (later layers) */
} segkit_server_role;

/* "read", "write", "admin"; NULL for a value out of range. */
SEGKIT_API const char *segkit_server_role_name(segkit_server_role role);
/* The reverse; SEGKIT_ERR_USAGE naming the accepted values for anything else. */
SEGKIT_API segkit_status segkit_server_role_parse(const char *text, segkit_server_role *out,
                                                  segkit_error *err);

typedef struct segkit_server_key_info {
  char *id;                 /* public id, 16 hex digits */
  char *name;               /* label, or NULL */
  segkit_server_role role;
  int64_t created_at_us;
  int64_t last_used_at_us;  /* 0: never used (updated at most once a minute) */
  int64_t revoked_at_us;    /* 0: active */
} segkit_server_key_info;

typedef struct segkit_server_key_list {
  size_t n;
  segkit_server_key_info *items;
} segkit_server_key_list;

/* Make a key of `role` (name: a label up to 128 bytes, or NULL) and store its hash, with an
 * audit entry ("key_create", target the id) by `actor`, in one transaction. *key gets the
 * key (the only time it exists in clear) and *id its public id; the caller frees both.
 * Argon2id with libsodium's interactive limits: about 64 MiB and 0.1 s per hash. */
SEGKIT_API segkit_status segkit_server_key_create(segkit_workspace *ws, segkit_server_role role,
                                                  const char *name, const char *actor,
                                                  char **key, char **id, segkit_error *err);
/* Every key, active and revoked, oldest first; never the key or its hash. */
SEGKIT_API segkit_status segkit_server_keys(segkit_workspace *ws,
                                                segkit_server_key_list **out,
                                                segkit_error *err);
SEGKIT_API void segkit_server_key_list_free(segkit_server_key_list *list);
/* Revoke key `id` (audited "key_revoke"): from then on it is refused. SEGKIT_ERR_NOT_FOUND
 * for an unknown id; revoking a revoked key is SEGKIT_ERR_USAGE. */
SEGKIT_API segkit_status segkit_server_key_revoke(segkit_workspace *ws, const char *id,
                                                  const char *actor, segkit_error *err);

/* ---- the server ------------------------------------------------------------------- */

typedef struct segkit_server segkit_server;

typedef struct segkit_server_options {
  const char *workspace;      /* path of the workspace file (must exist) */
  const char *bind;           /* IPv4 address to listen on; default "127.0.0.1" */
  uint16_t port;              /* 0: any free port (see segkit_server_port) */
  size_t max_body;            /* request bodies above this get 413; default 1 MiB */
  unsigned threads;           /* libmicrohttpd worker threads; default 4 */
  unsigned max_connections;   /* open connections at once; default 256 */
  unsigned timeout_s;         /* an idle connection is closed after this; default 30 */
  /* Loaded datasets kept between requests (docs/api.md, "Table cache"): at most this many
   * bytes of tables no request is using; default 512 MiB; 0 keeps none. */
  size_t cache_bytes;
  /* A web page's origin ("https://app.example.com", or "*") allowed to call the API from
   * a browser (CORS: preflights answered, Access-Control-Allow-Origin sent); NULL: none. */
  const char *cors_origin;
  /* Largest import upload (POST /api/v1/datasets/{name}/import), streamed to a temporary
   * file as it arrives; default 256 MiB. Other bodies stay under max_body. */
  size_t max_upload;
  /* Where libmicrohttpd's messages go (NULL: dropped). Called from server threads. */
  void (*log)(void *ctx, const char *message);
  void *log_ctx;
} segkit_server_options;

SEGKIT_API void segkit_server_options_init(segkit_server_options *opt);

/* Check the workspace opens, bind, and start serving on background threads. Errors:
 * SEGKIT_ERR_USAGE (bad options), SEGKIT_ERR_IO (cannot bind: port in use), the
 * workspace's own errors. */
SEGKIT_API segkit_status segkit_server_start(const segkit_server_options *opt,
                                             segkit_server **out, segkit_error *err);
/* The port the server listens on (the chosen one when opt.port was 0). */
SEGKIT_API uint16_t segkit_server_port(const segkit_server *server);
/* Stop accepting, finish the requests in flight, free. NULL is a no-op. */
SEGKIT_API void segkit_server_stop(segkit_server *server);

/* The OpenAPI 3.0 document the server serves at /openapi.json (static, NUL-terminated). */
SEGKIT_API const char *segkit_server_openapi(void);

#ifdef __cplusplus
}
#endif
#endif
