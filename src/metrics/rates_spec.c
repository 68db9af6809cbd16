/* Currency rates as people write them (segkit_mrr_rates_parse): inline "USD=1,EUR=1.08",
 * or the path of a file of "currency,rate" lines. Moved here from the CLI so that stored
 * segments whose derived fields name rates are evaluated the same by the CLI and the API. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "segkit/metrics.h"

segkit_status segkit_mrr_rates_parse(const char *spec, segkit_mrr_rate *rates, char (*names)[16],
                                     size_t max, size_t *n, segkit_error *err) {
  *n = 0;
  struct stat st;
  char *text = NULL;
  if (stat(spec, &st) == 0) {
    FILE *f = fopen(spec, "r");
    if (f == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_IO, "cannot read the rates file '%s'", spec);
    }
    text = calloc((size_t)st.st_size + 2, 1);
    size_t got = text != NULL ? fread(text, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (text == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
    text[got] = '\0';
  } else {
    text = strdup(spec);
    if (text == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
  }
  bool ok = true;
  char *save = NULL;
  for (char *item = strtok_r(text, ",\n", &save); item != NULL && ok;
       item = strtok_r(NULL, ",\n", &save)) {
    char *cur = item;
    char *val = strchr(item, '=');
    if (val == NULL) {
      /* file form: the rate is the next token */
      char *next = strtok_r(NULL, ",\n", &save);
      if (next == NULL) {
        ok = false;
        break;
      }
      val = next;
    } else {
      *val++ = '\0';
    }
    while (*cur == ' ' || *cur == '\r') {
      cur++;
    }
    char *end = NULL;
    double r = strtod(val, &end);
    if (end == val) {
      if (*n == 0 && strcmp(cur, "currency") == 0) {
        continue; /* header */
      }
      ok = false;
      break;
    }
    if (*n == max || strlen(cur) == 0 || strlen(cur) >= 16 || !(r > 0)) {
      ok = false;
      break;
    }
    snprintf(names[*n], 16, "%s", cur);
    size_t len = strlen(names[*n]);
    while (len > 0 && (names[*n][len - 1] == ' ' || names[*n][len - 1] == '\r')) {
      names[*n][--len] = '\0';
    }
    rates[*n].currency = names[*n];
    rates[*n].rate = r;
    (*n)++;
  }
  free(text);
  if (!ok || *n == 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "rates",
                               "rates must be CUR=RATE,... (e.g. USD=1,EUR=1.08) or a file of "
                               "currency,rate lines, with at most %zu rates above 0, not '%s'",
                               max, spec);
  }
  return SEGKIT_OK;
}
