/* The web assets compiled into the library (CMake segkit_embed): ECharts from npm and the
 * report's chart code and styles, web/charts.js and web/report.css. The report inlines them and the
 * server serves them, so both hand out the same bytes and neither needs files beside the binary. */
#include <string.h>

#include "report/report_int.h"

extern const unsigned char sk_asset_echarts[];
extern const size_t sk_asset_echarts_len;
extern const unsigned char sk_asset_charts[];
extern const size_t sk_asset_charts_len;
extern const unsigned char sk_asset_report_css[];
extern const size_t sk_asset_report_css_len;

const unsigned char *segkit_report_asset(const char *name, size_t *len) {
  if (name != NULL && strcmp(name, "echarts.min.js") == 0) {
    *len = sk_asset_echarts_len;
    return sk_asset_echarts;
  }
  if (name != NULL && strcmp(name, "charts.js") == 0) {
    *len = sk_asset_charts_len;
    return sk_asset_charts;
  }
  if (name != NULL && strcmp(name, "report.css") == 0) {
    *len = sk_asset_report_css_len;
    return sk_asset_report_css;
  }
  *len = 0;
  return NULL;
}
