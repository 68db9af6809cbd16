/* The router: a request's method and path -> a route of the table and its parameters.
 *
 * Patterns are paths whose segments are literal or a {parameter} matching one non-empty
 * segment; the first route whose pattern matches wins. The router is pure (no I/O, no
 * allocation), so it is unit-tested on its own, and it tells "no such path" (404) from "the
 * path exists with another method" (405). Parameters are copied into fixed buffers: a path
 * segment longer than SK_PARAM_MAX - 1 matches nothing, because no name the API stores is
 * that long. */
#include <string.h>

#include "server/server_int.h"

/* Length of the segment at s (up to '/' or the end). */
static size_t segment_len(const char *s) {
  const char *slash = strchr(s, '/');
  return slash != NULL ? (size_t)(slash - s) : strlen(s);
}

/* Whether path matches pattern; parameters go to m. */
static sk_route_result match_pattern(const char *pattern, const char *path, sk_match *m) {
  m->n_params = 0;
  const char *p = pattern;
  const char *q = path;
  while (*p != '\0' && *q != '\0') {
    if (*p != '/' || *q != '/') {
      return SK_ROUTE_NO_PATH;
    }
    p++;
    q++;
    size_t pl = segment_len(p);
    size_t ql = segment_len(q);
    if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
      if (ql == 0 || m->n_params == SK_MAX_PARAMS) {
        return SK_ROUTE_NO_PATH;
      }
      if (ql >= SK_PARAM_MAX) {
        return SK_ROUTE_BAD_PARAM;
      }
      memcpy(m->params[m->n_params], q, ql);
      m->params[m->n_params][ql] = '\0';
      m->n_params++;
    } else if (pl != ql || strncmp(p, q, pl) != 0) {
      return SK_ROUTE_NO_PATH;
    }
    p += pl;
    q += ql;
  }
  return *p == '\0' && *q == '\0' ? SK_ROUTE_FOUND : SK_ROUTE_NO_PATH;
}

sk_route_result sk__route(const sk_route *table, size_t n, const char *method,
                          const char *path, sk_match *m) {
  sk_route_result best = SK_ROUTE_NO_PATH;
  memset(m, 0, sizeof *m);
  for (size_t i = 0; i < n; i++) {
    sk_match trial;
    sk_route_result r = match_pattern(table[i].pattern, path, &trial);
    if (r == SK_ROUTE_BAD_PARAM && best == SK_ROUTE_NO_PATH) {
      best = r;
    }
    if (r != SK_ROUTE_FOUND) {
      continue;
    }
    if (strcmp(table[i].method, method) == 0) {
      *m = trial;
      m->route = &table[i];
      return SK_ROUTE_FOUND;
    }
    best = SK_ROUTE_NO_METHOD;
  }
  return best;
}

static const sk_route api_routes[] = {
    {"GET", "/api/v1/health", sk__get_health, 0},
    {"GET", "/openapi.json", sk__get_openapi, 0},
    {"GET", "/api/v1/datasets", sk__get_datasets, SEGKIT_ROLE_READ},
    {"GET", "/api/v1/datasets/{name}", sk__get_dataset, SEGKIT_ROLE_READ},
    {"GET", "/api/v1/segments", sk__get_segments, SEGKIT_ROLE_READ},
    {"POST", "/api/v1/segments", sk__post_segment, SEGKIT_ROLE_WRITE},
    {"GET", "/api/v1/segments/{name}", sk__get_segment, SEGKIT_ROLE_READ},
    {"PUT", "/api/v1/segments/{name}", sk__put_segment, SEGKIT_ROLE_WRITE},
    {"DELETE", "/api/v1/segments/{name}", sk__delete_segment, SEGKIT_ROLE_WRITE},
    {"GET", "/api/v1/segments/{name}/count", sk__get_segment_count, SEGKIT_ROLE_READ},
    {"GET", "/api/v1/segments/{name}/members", sk__get_segment_members, SEGKIT_ROLE_READ},
    {"POST", "/api/v1/rules/check", sk__post_rule_check, SEGKIT_ROLE_READ},
    {"GET", "/api/v1/whoami", sk__get_whoami, SEGKIT_ROLE_READ},
    {"POST", "/api/v1/segments/{name}/snapshots", sk__post_snapshot, SEGKIT_ROLE_WRITE},
    {"GET", "/api/v1/segments/{name}/snapshots", sk__get_snapshots, SEGKIT_ROLE_READ},
    {"GET", "/api/v1/segments/{name}/diff", sk__get_segment_diff, SEGKIT_ROLE_READ},
    {"POST", "/api/v1/datasets/{name}/import", sk__post_dataset_import, SEGKIT_ROLE_WRITE},
    {"GET", "/api/v1/keys", sk__get_keys, SEGKIT_ROLE_ADMIN},
    {"POST", "/api/v1/keys", sk__post_key, SEGKIT_ROLE_ADMIN},
    {"DELETE", "/api/v1/keys/{id}", sk__delete_key, SEGKIT_ROLE_ADMIN},
    {"GET", "/api/v1/views", sk__get_views, SEGKIT_ROLE_READ},
    {"GET", "/api/v1/views/{name}", sk__get_view, SEGKIT_ROLE_READ},
};

const sk_route *sk__api_routes(size_t *n) {
  *n = sizeof api_routes / sizeof api_routes[0];
  return api_routes;
}
