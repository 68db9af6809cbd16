/* segkit/export.h: handing results to other programs. A webhook post sends a JSON
 * document (a segment snapshot, a metrics table) to a URL the user names, the way
 * marketing tools receive audiences; the caller builds the document, this module only
 * delivers it and says precisely what went wrong when it could not.
 *
 * Ownership: every argument is only read; nothing is kept after the call returns. The
 * function is safe to call from several threads at once (libcurl is initialised once,
 * thread-safely, on first use). */
#ifndef SEGKIT_EXPORT_H
#define SEGKIT_EXPORT_H

#include <stddef.h>

#include "segkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct segkit_webhook_options {
  const char *const *headers; /* extra "Name: value" lines (e.g. an Authorization header) */
  size_t n_headers;
  long timeout_ms;            /* whole request; default (0) = 30000 */
  int retries;                /* further attempts after a connection failure or a 5xx
                                 answer, 1 s apart; default 0 */
} segkit_webhook_options;

SEGKIT_API void segkit_webhook_options_init(segkit_webhook_options *opt);

/* POST body (len bytes, sent as Content-Type: application/json) to url (http:// or
 * https:// only). SEGKIT_OK when the server answered 2xx; *status_out (may be NULL) gets
 * the HTTP status (0 when no answer came). Errors: a URL of another scheme or a header
 * without ':' (SEGKIT_ERR_USAGE); no answer: refused, unresolvable, timed out, TLS failure
 * (SEGKIT_ERR_IO, with libcurl's reason); an answer outside 2xx (SEGKIT_ERR_IO, with the
 * status and the first 200 bytes of the answer's body). */
SEGKIT_API segkit_status segkit_webhook_post(const char *url, const char *body, size_t len,
                                             const segkit_webhook_options *opt,
                                             long *status_out, segkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
