/* webhook.c: POST a JSON document to a user's URL with libcurl. Only http and https are
 * allowed (libcurl would otherwise follow file:// or gopher:// URLs a user pasted by
 * mistake), redirects are not followed (a POST silently turning into a GET elsewhere would
 * lose the document), and a non-2xx answer is an error quoting the server's first words,
 * since that is usually where the receiver says what it disliked. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "segkit/export.h"

enum { REPLY_KEEP = 200 };

typedef struct reply {
  char text[REPLY_KEEP + 1];
  size_t len;
} reply;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code = CURLE_OK;

static void init_curl(void) {
  curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t keep_reply(char *data, size_t size, size_t nmemb, void *user) {
  reply *r = user;
  size_t n = size * nmemb;
  size_t room = REPLY_KEEP - r->len;
  size_t take = n < room ? n : room;
  memcpy(r->text + r->len, data, take);
  r->len += take;
  r->text[r->len] = '\0';
  return n;
}

void segkit_webhook_options_init(segkit_webhook_options *opt) {
  memset(opt, 0, sizeof *opt);
}

static bool scheme_ok(const char *url) {
  return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

/* One attempt. *retry says whether another attempt could help (no answer, or 5xx). */
static segkit_status post_once(CURL *h, const char *url, long *status, bool *retry,
                               segkit_error *err) {
  reply r = {.len = 0};
  r.text[0] = '\0';
  char why[CURL_ERROR_SIZE];
  why[0] = '\0';
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_reply);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, why);
  CURLcode rc = curl_easy_perform(h);
  *status = 0;
  *retry = false;
  if (rc != CURLE_OK) {
    *retry = true;
    return segkit_error_set(err, SEGKIT_ERR_IO, "webhook %s: %s", url,
                            why[0] ? why : curl_easy_strerror(rc));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  if (*status >= 200 && *status < 300) {
    return SEGKIT_OK;
  }
  *retry = *status >= 500;
  for (size_t i = 0; i < r.len; i++) {
    if (r.text[i] == '\n' || r.text[i] == '\r' || r.text[i] == '\t') {
      r.text[i] = ' ';
    }
  }
  return segkit_error_set(err, SEGKIT_ERR_IO, "webhook %s answered HTTP %ld%s%s", url, *status,
                          r.len ? ": " : "", r.text);
}

segkit_status segkit_webhook_post(const char *url, const char *body, size_t len,
                                  const segkit_webhook_options *opt, long *status_out,
                                  segkit_error *err) {
  segkit_webhook_options defaults;
  if (!opt) {
    segkit_webhook_options_init(&defaults);
    opt = &defaults;
  }
  if (status_out) {
    *status_out = 0;
  }
  if (!url || !scheme_ok(url)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "webhook URL '%s' (expected http:// or https://)",
                            url ? url : "");
  }
  for (size_t i = 0; i < opt->n_headers; i++) {
    if (!opt->headers[i] || !strchr(opt->headers[i], ':')) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "webhook header '%s' (expected 'Name: value')",
                              opt->headers[i] ? opt->headers[i] : "");
    }
  }
  pthread_once(&curl_once, init_curl);
  if (curl_init_code != CURLE_OK) {
    return segkit_error_set(err, SEGKIT_ERR_IO, "libcurl could not start: %s",
                            curl_easy_strerror(curl_init_code));
  }
  CURL *h = curl_easy_init();
  struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
  for (size_t i = 0; hdr && i < opt->n_headers; i++) {
    struct curl_slist *more = curl_slist_append(hdr, opt->headers[i]);
    if (!more) {
      curl_slist_free_all(hdr);
      hdr = NULL;
    } else {
      hdr = more;
    }
  }
  if (!h || !hdr) {
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory preparing the webhook post");
  }
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, opt->timeout_ms > 0 ? opt->timeout_ms : 30000L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "segkit");
  long status = 0;
  bool retry = false;
  segkit_status st = SEGKIT_OK;
  for (int attempt = 0; attempt <= opt->retries; attempt++) {
    if (attempt > 0) {
      sleep(1);
    }
    st = post_once(h, url, &status, &retry, err);
    if (st == SEGKIT_OK || !retry) {
      break;
    }
  }
  curl_slist_free_all(hdr);
  curl_easy_cleanup(h);
  if (status_out) {
    *status_out = status;
  }
  return st;
}
