/* The dashboard's files: "/" (index.html) and "/assets/NAME", compiled into the library
 * (web/dashboard/, embedded by CMake's segkit_embed), and the report's ECharts and
 * charts.js (segkit_report_asset: the bytes the HTML report inlines), so `segkit serve`
 * needs no files beside the binary and the browser fetches nothing from anywhere else.
 *
 * They need no key: they hold no data, and the page must load before the user has typed
 * one. Every request they make for data goes to /api/v1/ with the key, as any client's.
 *
 * Headers, and why:
 *   Content-Security-Policy  scripts, styles and connections from this server only, no
 *                            inline script or style, no framing: a rule or segment name
 *                            that slipped into the page as markup could not run anyway.
 *   ETag + Cache-Control: no-cache  the browser keeps the files and asks each time whether
 *                            they changed (304, no body); the URLs carry no version, so an
 *                            upgraded binary's files are picked up at once.
 *   X-Content-Type-Options, Referrer-Policy, X-Frame-Options  no sniffing, no referrer,
 *                            no framing (for browsers that predate frame-ancestors). */
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "segkit/report.h"
#include "server/server_int.h"

extern const unsigned char sk_web_index_html[];
extern const size_t sk_web_index_html_len;
extern const unsigned char sk_web_app_js[];
extern const size_t sk_web_app_js_len;
extern const unsigned char sk_web_app_css[];
extern const size_t sk_web_app_css_len;
extern const unsigned char sk_web_icon_svg[];
extern const size_t sk_web_icon_svg_len;

static const char CSP[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
                          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

typedef struct asset {
  const char *path;
  const char *type;
  const unsigned char *data;
  size_t len;
  char etag[24]; /* "\"" + 16 hex digits + "\"" */
} asset;

static asset assets[] = {
    {"/", "text/html; charset=utf-8", NULL, 0, ""},
    {"/assets/app.js", "text/javascript; charset=utf-8", NULL, 0, ""},
    {"/assets/app.css", "text/css; charset=utf-8", NULL, 0, ""},
    {"/assets/icon.svg", "image/svg+xml", NULL, 0, ""},
    {"/assets/echarts.min.js", "text/javascript; charset=utf-8", NULL, 0, ""},
    {"/assets/charts.js", "text/javascript; charset=utf-8", NULL, 0, ""},
};
enum { N_ASSETS = sizeof assets / sizeof assets[0] };

static pthread_once_t assets_once = PTHREAD_ONCE_INIT;

/* FNV-1a, 64 bits: an ETag needs to change when the bytes do, not to resist forgery. */
static uint64_t fnv1a(const unsigned char *p, size_t n) {
  uint64_t h = 14695981039346656037u;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ p[i]) * 1099511628211u;
  }
  return h;
}

static void assets_init(void) {
  size_t echarts_len = 0;
  size_t charts_len = 0;
  const unsigned char *echarts = segkit_report_asset("echarts.min.js", &echarts_len);
  const unsigned char *charts = segkit_report_asset("charts.js", &charts_len);
  const unsigned char *data[N_ASSETS] = {sk_web_index_html, sk_web_app_js, sk_web_app_css,
                                         sk_web_icon_svg,   echarts,       charts};
  const size_t lens[N_ASSETS] = {sk_web_index_html_len, sk_web_app_js_len, sk_web_app_css_len,
                                 sk_web_icon_svg_len,   echarts_len,       charts_len};
  for (size_t i = 0; i < N_ASSETS; i++) {
    assets[i].data = data[i];
    assets[i].len = lens[i];
    snprintf(assets[i].etag, sizeof assets[i].etag, "\"%016llx\"",
             (unsigned long long)fnv1a(data[i], lens[i]));
  }
}

/* Whether an If-None-Match header names etag ("*", or one of a comma-separated list, weak
 * or strong: a file's bytes are all there is to compare). */
static bool etag_matches(const char *header, const char *etag) {
  if (header == NULL) {
    return false;
  }
  if (strcmp(header, "*") == 0) {
    return true;
  }
  size_t n = strlen(etag);
  for (const char *p = header; (p = strstr(p, etag)) != NULL; p += n) {
    bool starts = p == header || p[-1] == ' ' || p[-1] == ',' || p[-1] == '/';
    bool ends = p[n] == '\0' || p[n] == ',' || p[n] == ' ';
    if (starts && ends) {
      return true;
    }
  }
  return false;
}

bool sk__static_serve(struct MHD_Connection *c, const char *method, const char *url, int *queued) {
  bool head = strcmp(method, "HEAD") == 0;
  if (!head && strcmp(method, "GET") != 0) {
    return false;
  }
  pthread_once(&assets_once, assets_init);
  const asset *a = NULL;
  for (size_t i = 0; i < N_ASSETS && a == NULL; i++) {
    if (strcmp(url, assets[i].path) == 0 || (i == 0 && strcmp(url, "/index.html") == 0)) {
      a = &assets[i];
    }
  }
  if (a == NULL) {
    return false;
  }
  const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
  bool fresh = etag_matches(inm, a->etag);
  /* The bytes are static and never freed: libmicrohttpd sends them without a copy. A HEAD
   * gets the headers of a GET; libmicrohttpd leaves the body out itself. */
  struct MHD_Response *resp =
      fresh ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
            : MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
  if (resp == NULL) {
    *queued = MHD_NO;
    return true;
  }
  if (!fresh) {
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag);
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  MHD_add_response_header(resp, "Content-Security-Policy", CSP);
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  *queued = MHD_queue_response(c, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, resp);
  MHD_destroy_response(resp);
  return true;
}
