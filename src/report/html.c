/* The self-contained HTML report: one file with the CSS, ECharts, web/charts.js and every
 * view's JSON inline, so it opens anywhere, offline, and prints.
 *
 * Key design choice: the page carries the views' JSON, not pre-drawn pictures. charts.js
 * draws them in the browser exactly as the dashboard does (same code, same bytes), and
 * each chart's numbers are also written as a plain table beside it, for screen readers,
 * for print and for copying. Text inside <script> is escaped so that no data can end the
 * element early: JSON's "<" becomes \u003c and U+2028/U+2029 their escapes; the embedded
 * scripts are checked not to contain "</script" or "<!--". */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/report_int.h"

typedef struct buf {
  char *p;
  size_t len, cap;
  bool failed;
} buf;

static void put_n(buf *b, const char *s, size_t n) {
  if (b->failed) {
    return;
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap > 0 ? b->cap : 1 << 16;
    while (b->len + n + 1 > cap) {
      cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (p == NULL) {
      b->failed = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void put(buf *b, const char *s) { put_n(b, s, strlen(s)); }

/* Text as HTML element content or attribute value. */
static void put_text(buf *b, const char *s) {
  for (; *s != '\0'; s++) {
    switch (*s) {
    case '<':
      put(b, "&lt;");
      break;
    case '>':
      put(b, "&gt;");
      break;
    case '&':
      put(b, "&amp;");
      break;
    case '"':
      put(b, "&quot;");
      break;
    default:
      put_n(b, s, 1);
    }
  }
}

char *segkit_report_script_escape(const char *json) {
  buf b = {0};
  put(&b, "");
  for (const char *s = json; *s != '\0' && !b.failed; s++) {
    const unsigned char *u = (const unsigned char *)s;
    if (*s == '<') {
      put(&b, "\\u003c");
    } else if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0xA8 || u[2] == 0xA9)) {
      put(&b, u[2] == 0xA8 ? "\\u2028" : "\\u2029");
      s += 2;
    } else {
      put_n(&b, s, 1);
    }
  }
  if (b.failed) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

/* A script's source, refused if it could end its element early. */
static bool put_script(buf *b, const char *name) {
  size_t len = 0;
  const unsigned char *src = segkit_report_asset(name, &len);
  if (src == NULL || strstr((const char *)src, "</script") != NULL ||
      strstr((const char *)src, "<!--") != NULL) {
    return false;
  }
  put(b, "<script>\n");
  put_n(b, (const char *)src, len);
  put(b, "\n</script>\n");
  return true;
}

static segkit_status add_view(segkit_views *v, const char *name, const segkit_view_param *p,
                              size_t n, json_t *list, segkit_error *err) {
  char *text = NULL;
  segkit_status st = segkit_view(v, name, p, n, &text, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  json_t *j = json_loads(text, 0, NULL);
  free(text);
  if (j == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "view %s wrote malformed JSON", name);
  }
  json_array_append_new(list, j);
  return SEGKIT_OK;
}

/* The views a segment section shows against the rest of the customers. */
static const char *const k_segment_views[] = {"overview", "mrr_movements", "cohorts", "survival"};

segkit_status segkit_report_html(segkit_views *v, const segkit_report_options *opt, char **html_out,
                                 size_t *len_out, segkit_error *err) {
  const char *title = opt != NULL && opt->title != NULL ? opt->title : "segkit report";
  json_t *views = json_array();
  segkit_status st = SEGKIT_OK;
  for (size_t i = 0; st == SEGKIT_OK && i < segkit_view_count(); i++) {
    st = add_view(v, segkit_view_name(i), NULL, 0, views, err);
  }
  for (size_t s = 0; st == SEGKIT_OK && opt != NULL && s < opt->n_segments; s++) {
    segkit_view_param p = {"segment", opt->segments[s]};
    for (size_t i = 0; st == SEGKIT_OK && i < sizeof k_segment_views / sizeof *k_segment_views;
         i++) {
      st = add_view(v, k_segment_views[i], &p, 1, views, err);
    }
  }
  char *json = st == SEGKIT_OK ? json_dumps(views, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
  json_decref(views);
  if (st != SEGKIT_OK) {
    return st;
  }
  char *safe = json != NULL ? segkit_report_script_escape(json) : NULL;
  free(json);
  if (safe == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory writing the report");
  }
  char when[64];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
  size_t css_len = 0;
  const unsigned char *css = segkit_report_asset("report.css", &css_len);
  buf b = {0};
  put(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"segkit " SEGKIT_VERSION "\">\n<title>");
  put_text(&b, title);
  put(&b, "</title>\n<style>\n");
  if (css != NULL) {
    put_n(&b, (const char *)css, css_len);
  }
  put(&b, "\n</style>\n</head>\n<body>\n<header class=\"report-header\">\n<h1>");
  put_text(&b, title);
  put(&b, "</h1>\n<p class=\"meta\">Workspace <code>");
  /* its file name only: a report is passed around, the folders it came from are not its
   * business */
  const char *slash = strrchr(v->path, '/');
  put_text(&b, slash != NULL ? slash + 1 : v->path);
  put(&b, "</code>, written ");
  put(&b, when);
  put(&b, " by segkit " SEGKIT_VERSION ". Every number is defined in docs/metrics.md; "
          "intervals are 95%; segments under 30 customers are marked too small.</p>\n"
          "<nav aria-label=\"Sections\"><ul>\n");
  for (size_t i = 0; i < segkit_view_count(); i++) {
    put(&b, "<li><a href=\"#view-");
    put(&b, segkit_view_name(i));
    put(&b, "\">");
    put(&b, segkit_view_name(i));
    put(&b, "</a></li>\n");
  }
  for (size_t s = 0; opt != NULL && s < opt->n_segments; s++) {
    put(&b, "<li><a href=\"#segment-");
    put_text(&b, opt->segments[s]);
    put(&b, "\">segment ");
    put_text(&b, opt->segments[s]);
    put(&b, "</a></li>\n");
  }
  put(&b, "</ul></nav>\n</header>\n<main id=\"report\">\n");
  /* one section per view, filled by the script below in the same order as the JSON */
  size_t n_views = segkit_view_count();
  for (size_t i = 0; i < n_views; i++) {
    put(&b, "<section class=\"view\" id=\"view-");
    put(&b, segkit_view_name(i));
    put(&b, "\"></section>\n");
  }
  for (size_t s = 0; opt != NULL && s < opt->n_segments; s++) {
    put(&b, "<div class=\"segment-block\" id=\"segment-");
    put_text(&b, opt->segments[s]);
    put(&b, "\"><h2 class=\"segment-title\">Segment ");
    put_text(&b, opt->segments[s]);
    put(&b, " against the rest of the customers</h2>\n");
    for (size_t i = 0; i < sizeof k_segment_views / sizeof *k_segment_views; i++) {
      put(&b, "<section class=\"view\"></section>\n");
    }
    put(&b, "</div>\n");
  }
  put(&b, "</main>\n<footer class=\"report-footer\"><p>Charts: Apache ECharts, embedded. "
          "Colours: Okabe-Ito, with patterns and labels for readers who do not tell "
          "colours apart.</p></footer>\n");
  bool ok = put_script(&b, "echarts.min.js") && put_script(&b, "charts.js");
  put(&b, "<script type=\"application/json\" id=\"segkit-views\">");
  put(&b, safe);
  put(&b, "</script>\n<script>\n"
          "(function () {\n"
          "  var views = JSON.parse(document.getElementById('segkit-views').textContent);\n"
          "  var sections = document.querySelectorAll('#report section.view');\n"
          "  var charts = [];\n"
          "  for (var i = 0; i < views.length && i < sections.length; i++) {\n"
          "    charts = charts.concat(SegkitCharts.draw(sections[i], views[i]));\n"
          "  }\n"
          "  window.segkitReport = {views: views, charts: charts};\n"
          "  SegkitCharts.printable(charts);\n"
          "})();\n</script>\n</body>\n</html>\n");
  free(safe);
  if (!ok) {
    free(b.p);
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL,
                            "an embedded script contains </script or <!--: cannot inline it");
  }
  if (b.failed) {
    free(b.p);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory writing the report");
  }
  *html_out = b.p;
  *len_out = b.len;
  return SEGKIT_OK;
}
