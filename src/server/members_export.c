/* GET /api/v1/segments/{name}/members?format=csv[&columns=a,b]: every member as CSV, the key
 * column first, then the chosen customer columns (derived fields included), in the dataset's
 * row order — the file `segkit segment members --out x.csv` writes.
 *
 * The answer is streamed: the segment is evaluated once, then libmicrohttpd pulls rows as the
 * socket drains, so a million members cost one line buffer rather than a 100 MB string. The
 * evaluation (and the cached tables it holds) lives until the last row is sent or the client
 * goes away. CSV per RFC 4180: a field with a comma, quote, CR or LF (or leading/trailing
 * space) is quoted with quotes doubled; null is an empty field; decimals are the shortest of
 * %.15g / %.17g that reads back as the same double. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "server/server_int.h"

enum { MAX_COLUMNS = 64 };

typedef struct csv_stream {
  segkit_workspace *ws;
  segkit_segeval *ev;
  const segkit_column *cols[MAX_COLUMNS + 1];
  size_t n_cols;
  size_t row; /* next customer row to look at */
  bool header_done;
  char *line; /* the pending line and how much of it was sent */
  size_t len;
  size_t sent;
  size_t cap;
  bool failed;
} csv_stream;

static void stream_free(void *ctx) {
  csv_stream *st = ctx;
  segkit_segeval_free(st->ev);
  segkit_workspace_close(st->ws);
  free(st->line);
  free(st);
}

static bool put(csv_stream *st, const char *s, size_t n) {
  if (st->len + n + 2 > st->cap) {
    size_t cap = (st->len + n + 2) * 2;
    char *grown = realloc(st->line, cap);
    if (grown == NULL) {
      st->failed = true;
      return false;
    }
    st->line = grown;
    st->cap = cap;
  }
  memcpy(st->line + st->len, s, n);
  st->len += n;
  return true;
}

static bool needs_quotes(const char *s, size_t n) {
  if (n > 0 && (s[0] == ' ' || s[n - 1] == ' ')) {
    return true;
  }
  for (size_t i = 0; i < n; i++) {
    if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') {
      return true;
    }
  }
  return false;
}

static void put_field(csv_stream *st, const char *s, size_t n) {
  if (!needs_quotes(s, n)) {
    put(st, s, n);
    return;
  }
  put(st, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    put(st, &s[i], 1);
    if (s[i] == '"') {
      put(st, "\"", 1);
    }
  }
  put(st, "\"", 1);
}

static void put_value(csv_stream *st, const segkit_column *c, size_t r) {
  if (!segkit_column_is_valid(c, r)) {
    return;
  }
  char buf[64];
  size_t n = 0;
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_INT64:
    n = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)segkit_column_int64(c)[r]);
    break;
  case SEGKIT_TYPE_FLOAT64: {
    double v = segkit_column_float64(c)[r];
    n = (size_t)snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v) {
      n = (size_t)snprintf(buf, sizeof buf, "%.17g", v);
    }
    break;
  }
  case SEGKIT_TYPE_BOOL:
    n = (size_t)snprintf(buf, sizeof buf, "%s", segkit_column_bool(c)[r] ? "true" : "false");
    break;
  case SEGKIT_TYPE_DATE:
    n = segkit_format_date(segkit_column_date(c)[r], buf, sizeof buf);
    break;
  case SEGKIT_TYPE_TIMESTAMP:
    n = segkit_format_timestamp(segkit_column_timestamp(c)[r], buf, sizeof buf);
    break;
  default: {
    size_t len = 0;
    const char *s = segkit_column_dict_value(c, segkit_column_codes(c)[r], &len);
    put_field(st, s, len);
    return;
  }
  }
  put(st, buf, n < sizeof buf ? n : sizeof buf - 1);
}

/* The next line (header, then one per member) into st->line; false at the end. */
static bool next_line(csv_stream *st) {
  st->len = 0;
  st->sent = 0;
  if (!st->header_done) {
    st->header_done = true;
    for (size_t k = 0; k < st->n_cols; k++) {
      const char *name = segkit_column_name(st->cols[k]);
      if (k > 0) {
        put(st, ",", 1);
      }
      put_field(st, name, strlen(name));
    }
    put(st, "\r\n", 2);
    return !st->failed;
  }
  size_t n = segkit_segeval_n_rows(st->ev);
  while (st->row < n && !segkit_segeval_is_member(st->ev, st->row)) {
    st->row++;
  }
  if (st->row == n) {
    return false;
  }
  for (size_t k = 0; k < st->n_cols; k++) {
    if (k > 0) {
      put(st, ",", 1);
    }
    put_value(st, st->cols[k], st->row);
  }
  put(st, "\r\n", 2);
  st->row++;
  return !st->failed;
}

static long stream_read(void *ctx, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  csv_stream *st = ctx;
  size_t written = 0;
  while (written < max) {
    if (st->sent == st->len && !next_line(st)) {
      break;
    }
    size_t take = st->len - st->sent;
    if (take > max - written) {
      take = max - written;
    }
    memcpy(buf + written, st->line + st->sent, take);
    st->sent += take;
    written += take;
  }
  return written > 0 ? (long)written : -1;
}

/* The key column, then the columns named in `spec` ("a,b"); false with a 400 in out. */
static bool choose_columns(csv_stream *st, const char *spec, sk_reply *out) {
  const segkit_table *t = segkit_segeval_customers(st->ev);
  st->cols[0] = segkit_segeval_key_column(st->ev);
  st->n_cols = 1;
  if (spec == NULL || spec[0] == '\0') {
    return true;
  }
  const char *p = spec;
  while (*p != '\0') {
    const char *comma = strchr(p, ',');
    size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
    char name[256];
    if (n == 0 || n >= sizeof name || st->n_cols > MAX_COLUMNS) {
      sk__reply_error(out, 400, "invalid_parameter",
                      "query parameter 'columns' must be up to %d column names separated by "
                      "commas",
                      MAX_COLUMNS);
      return false;
    }
    memcpy(name, p, n);
    name[n] = '\0';
    int64_t at = segkit_table_column_index(t, name);
    if (at < 0) {
      sk__reply_error(out, 400, "invalid_parameter",
                      "query parameter 'columns': dataset '%s' has no column '%s'",
                      segkit_segeval_dataset(st->ev), name);
      return false;
    }
    st->cols[st->n_cols++] = segkit_table_column(t, (size_t)at);
    p += n;
    if (*p == ',') {
      p++;
    }
  }
  return true;
}

void sk__members_csv(const sk_request *req, segkit_workspace *ws, segkit_segeval *ev,
                     sk_reply *out) {
  csv_stream *st = calloc(1, sizeof *st);
  if (st == NULL) {
    segkit_segeval_free(ev);
    segkit_workspace_close(ws);
    sk__reply_error(out, 500, "internal", "out of memory");
    return;
  }
  st->ws = ws;
  st->ev = ev;
  const char *spec = req->query != NULL ? req->query(req->query_ctx, "columns") : NULL;
  if (!choose_columns(st, spec, out)) {
    stream_free(st);
    return;
  }
  const char *name = segkit_segeval_definition(ev)->name;
  sk__reply_stream(out, 200, "text/csv; charset=utf-8", stream_read, st, stream_free);
  snprintf(out->disposition, sizeof out->disposition, "attachment; filename=\"%s.csv\"", name);
}
