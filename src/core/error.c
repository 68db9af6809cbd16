/* Status table and the error object. The table is the X-macro in segkit/error.h, so a
 * status, its name, its exit class and its default message are declared in one place. */
#include "segkit/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  int exit_class;
  const char *message;
} status_table[] = {
#define SEGKIT_STATUS_ROW(name, exit_class, msg) {#name, exit_class, msg},
    SEGKIT_STATUS_MAP(SEGKIT_STATUS_ROW)
#undef SEGKIT_STATUS_ROW
};

static int status_valid(segkit_status s) {
  return (int)s >= 0 && s < SEGKIT_STATUS_COUNT;
}

const char *segkit_status_name(segkit_status s) {
  return status_valid(s) ? status_table[s].name : "ERR_UNKNOWN";
}

const char *segkit_status_message(segkit_status s) {
  return status_valid(s) ? status_table[s].message : "unknown status";
}

int segkit_status_exit_class(segkit_status s) {
  return status_valid(s) ? status_table[s].exit_class : 5;
}

void segkit_error_clear(segkit_error *err) {
  if (err == NULL) {
    return;
  }
  memset(err, 0, sizeof *err);
  err->code = SEGKIT_OK;
}

static void copy_bounded(char *dst, size_t size, const char *src) {
  if (src == NULL) {
    dst[0] = '\0';
    return;
  }
  size_t n = strlen(src);
  if (n >= size) {
    n = size - 1;
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
}

segkit_status segkit_error_set(segkit_error *err, segkit_status code, const char *fmt, ...) {
  if (err == NULL) {
    return code;
  }
  segkit_error_clear(err);
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return code;
}

segkit_status segkit_error_set_at(segkit_error *err, segkit_status code, const char *file,
                                  int64_t line, int64_t column, const char *field,
                                  const char *fmt, ...) {
  if (err == NULL) {
    return code;
  }
  segkit_error_clear(err);
  err->code = code;
  copy_bounded(err->file, sizeof err->file, file);
  copy_bounded(err->field, sizeof err->field, field);
  err->line = line;
  err->column = column;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return code;
}

size_t segkit_error_format(const segkit_error *err, char *buf, size_t size) {
  char loc[320] = "";
  int n = 0;
  if (err->file[0] != '\0') {
    if (err->line > 0 && err->column > 0) {
      n = snprintf(loc, sizeof loc, "%s:%lld:%lld: ", err->file, (long long)err->line,
                   (long long)err->column);
    } else if (err->line > 0) {
      n = snprintf(loc, sizeof loc, "%s:%lld: ", err->file, (long long)err->line);
    } else {
      n = snprintf(loc, sizeof loc, "%s: ", err->file);
    }
  }
  (void)n;
  const char *msg = err->message[0] != '\0' ? err->message : segkit_status_message(err->code);
  int total;
  if (err->field[0] != '\0') {
    total = snprintf(buf, size, "%sfield '%s': %s", loc, err->field, msg);
  } else {
    total = snprintf(buf, size, "%s%s", loc, msg);
  }
  return total < 0 ? 0 : (size_t)total;
}
