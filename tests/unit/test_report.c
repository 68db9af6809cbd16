/* The report module without data: JSON made safe for a <script> element (no "<", U+2028
 * and U+2029 escaped, the same JSON value), the embedded assets, and a bare workspace whose
 * every view is unavailable with a reason, with unknown views and bad options refused by
 * name. (The numbers of the views are checked against pandas, scipy and R in
 * tests/cli/test_cli_report.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/report.h"
#include "segkit/workspace.h"
#include "testkit.h"

static void report_script_escape(void **state) {
  (void)state;
  /* "</script><!--" then U+2028 and U+2029 as UTF-8, inside a JSON string */
  const char *in = "{\"a\":\"</script><!--\xE2\x80\xA8x\xE2\x80\xA9\",\"b\":[1,\"<\"]}";
  char *out = segkit_report_script_escape(in);
  assert_non_null(out);
  assert_null(strchr(out, '<'));
  assert_null(strstr(out, "\xE2\x80\xA8"));
  assert_null(strstr(out, "\xE2\x80\xA9"));
  assert_non_null(strstr(out, "\\u003c/script>\\u003c!--\\u2028x\\u2029"));
  json_t *a = json_loads(in, 0, NULL);
  json_t *b = json_loads(out, 0, NULL);
  assert_non_null(b);
  assert_true(json_equal(a, b));
  json_decref(a);
  json_decref(b);
  free(out);
}

static void report_assets(void **state) {
  (void)state;
  size_t n = 0;
  const unsigned char *e = segkit_report_asset("echarts.min.js", &n);
  assert_non_null(e);
  assert_true(n > 500000);
  assert_int_equal(strlen((const char *)e), n);
  const unsigned char *c = segkit_report_asset("charts.js", &n);
  assert_non_null(c);
  assert_non_null(strstr((const char *)c, "SegkitCharts"));
  assert_null(strstr((const char *)c, "</script"));
  const unsigned char *css = segkit_report_asset("report.css", &n);
  assert_non_null(strstr((const char *)css, "@media print"));
  assert_null(segkit_report_asset("passwd", &n));
  assert_int_equal(n, 0);
}

static void report_bare_workspace(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  char *path = tu_path_join(dir, "ws.db");
  segkit_workspace *ws = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_open(path, SEGKIT_WORKSPACE_CREATE, &ws, &err), SEGKIT_OK);
  segkit_workspace_close(ws);
  segkit_views *v = NULL;
  assert_int_equal(segkit_views_open(path, NULL, 0, &v, &err), SEGKIT_OK);
  char *text = NULL;
  assert_int_equal(segkit_views_list(v, &text, &err), SEGKIT_OK);
  json_t *list = json_loads(text, 0, NULL);
  free(text);
  json_t *views = json_object_get(list, "views");
  assert_int_equal(json_array_size(views), segkit_view_count());
  for (size_t i = 0; i < segkit_view_count(); i++) {
    json_t *item = json_array_get(views, i);
    assert_string_equal(json_string_value(json_object_get(item, "name")), segkit_view_name(i));
    assert_true(json_is_false(json_object_get(item, "available")));
    assert_true(strlen(json_string_value(json_object_get(item, "reason"))) > 20);
    assert_int_equal(segkit_view(v, segkit_view_name(i), NULL, 0, &text, &err), SEGKIT_OK);
    json_t *one = json_loads(text, 0, NULL);
    free(text);
    assert_string_equal(json_string_value(json_object_get(one, "view")), segkit_view_name(i));
    assert_true(json_is_false(json_object_get(one, "available")));
    assert_true(json_is_string(json_object_get(one, "reason")));
    assert_true(json_is_null(json_object_get(one, "segment")));
    json_decref(one);
  }
  json_decref(list);
  assert_int_equal(segkit_view(v, "pie", NULL, 0, &text, &err), SEGKIT_ERR_NOT_FOUND);
  assert_non_null(strstr(err.message, "no view 'pie'"));
  segkit_view_param bad[] = {{"colour", "red"}};
  assert_int_equal(segkit_view(v, "overview", bad, 1, &text, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "colour");
  segkit_view_param rates[] = {{"rates", "USD=one"}};
  assert_int_equal(segkit_view(v, "overview", rates, 1, &text, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "rates");
  /* a report of nothing is still a whole page */
  char *html = NULL;
  size_t len = 0;
  assert_int_equal(segkit_report_html(v, NULL, &html, &len, &err), SEGKIT_OK);
  assert_int_equal(strlen(html), len);
  assert_non_null(strstr(html, "<!DOCTYPE html>"));
  assert_non_null(strstr(html, "id=\"view-insights\""));
  free(html);
  segkit_views_close(v);
  assert_int_equal(segkit_views_open(path, rates, 1, &v, &err), SEGKIT_ERR_USAGE);
  tu_rmtree(dir);
  free(path);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(report_script_escape),
      cmocka_unit_test(report_assets),
      cmocka_unit_test(report_bare_workspace),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
