/* Rendering of result grids as an aligned table for people, CSV (RFC 4180) or JSON (an
 * array of objects, typed values) for programs. Every verb builds a grid and lets the
 * --format flag decide, so the three formats always carry the same data. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct cli_grid {
  size_t n_cols;
  char **headers;
  cli_cell *cells; /* row-major */
  size_t n_cells;
  size_t cap;
  bool oom;
};

static char *dup_str(const char *s) {
  size_t n = strlen(s);
  char *p = malloc(n + 1);
  if (p != NULL) {
    memcpy(p, s, n + 1);
  }
  return p;
}

cli_grid *cli_grid_new(size_t n_cols, const char *const *headers) {
  cli_grid *g = calloc(1, sizeof *g);
  if (g == NULL) {
    return NULL;
  }
  g->n_cols = n_cols;
  g->headers = calloc(n_cols, sizeof *g->headers);
  if (g->headers == NULL) {
    free(g);
    return NULL;
  }
  for (size_t i = 0; i < n_cols; i++) {
    g->headers[i] = dup_str(headers[i]);
    if (g->headers[i] == NULL) {
      g->oom = true;
    }
  }
  return g;
}

void cli_grid_free(cli_grid *g) {
  if (g == NULL) {
    return;
  }
  for (size_t i = 0; i < g->n_cols; i++) {
    free(g->headers[i]);
  }
  for (size_t i = 0; i < g->n_cells; i++) {
    free(g->cells[i].text);
  }
  free(g->headers);
  free(g->cells);
  free(g);
}

void cli_grid_row(cli_grid *g) {
  /* Pad an unfinished row with nulls so rows never shift. */
  while (g->n_cells % g->n_cols != 0) {
    cli_grid_null(g);
  }
}

static cli_cell *next_cell(cli_grid *g) {
  if (g->n_cells == g->cap) {
    size_t cap = g->cap == 0 ? 64 : g->cap * 2;
    cli_cell *cells = realloc(g->cells, cap * sizeof *cells);
    if (cells == NULL) {
      g->oom = true;
      return NULL;
    }
    g->cells = cells;
    g->cap = cap;
  }
  cli_cell *c = &g->cells[g->n_cells++];
  memset(c, 0, sizeof *c);
  return c;
}

void cli_grid_text(cli_grid *g, const char *s) {
  if (s == NULL) {
    cli_grid_null(g);
    return;
  }
  cli_cell *c = next_cell(g);
  if (c == NULL) {
    return;
  }
  c->kind = CLI_CELL_TEXT;
  c->text = dup_str(s);
  if (c->text == NULL) {
    g->oom = true;
  }
}

void cli_grid_int(cli_grid *g, int64_t v) {
  cli_cell *c = next_cell(g);
  if (c == NULL) {
    return;
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)v);
  c->kind = CLI_CELL_INT;
  c->i = v;
  c->text = dup_str(buf);
  if (c->text == NULL) {
    g->oom = true;
  }
}

void cli_grid_real(cli_grid *g, double v, int digits) {
  if (!isfinite(v)) {
    cli_grid_null(g);
    return;
  }
  cli_cell *c = next_cell(g);
  if (c == NULL) {
    return;
  }
  char buf[64];
  snprintf(buf, sizeof buf, "%.*f", digits, v);
  c->kind = CLI_CELL_REAL;
  c->r = v;
  c->text = dup_str(buf);
  if (c->text == NULL) {
    g->oom = true;
  }
}

void cli_grid_null(cli_grid *g) {
  cli_cell *c = next_cell(g);
  if (c != NULL) {
    c->kind = CLI_CELL_NULL;
  }
}

void cli_grid_value(cli_grid *g, const segkit_column *col, size_t row) {
  if (!segkit_column_is_valid(col, row)) {
    cli_grid_null(g);
    return;
  }
  char buf[48];
  switch (segkit_column_type(col)) {
  case SEGKIT_TYPE_INT64:
    cli_grid_int(g, segkit_column_int64(col)[row]);
    return;
  case SEGKIT_TYPE_FLOAT64:
    cli_grid_real(g, segkit_column_float64(col)[row], 6);
    return;
  case SEGKIT_TYPE_BOOL:
    cli_grid_text(g, segkit_column_bool(col)[row] ? "true" : "false");
    return;
  case SEGKIT_TYPE_DATE:
    segkit_format_date(segkit_column_date(col)[row], buf, sizeof buf);
    cli_grid_text(g, buf);
    return;
  case SEGKIT_TYPE_TIMESTAMP:
    segkit_format_timestamp(segkit_column_timestamp(col)[row], buf, sizeof buf);
    cli_grid_text(g, buf);
    return;
  default:
    cli_grid_text(g, segkit_column_dict_value(col, segkit_column_codes(col)[row], NULL));
    return;
  }
}

/* Display width of UTF-8 text: code points, not bytes (continuation bytes don't count). */
static size_t display_width(const char *s) {
  size_t w = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    if ((*p & 0xC0) != 0x80) {
      w++;
    }
  }
  return w;
}

static void print_padded(FILE *f, const char *s, size_t width, bool right) {
  size_t w = display_width(s);
  if (right) {
    for (size_t i = w; i < width; i++) {
      fputc(' ', f);
    }
  }
  fputs(s, f);
  if (!right) {
    for (size_t i = w; i < width; i++) {
      fputc(' ', f);
    }
  }
}

/* Control characters would break the table layout; show them escaped. */
static char *printable(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(n * 4 + 1);
  if (out == NULL) {
    return NULL;
  }
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '\n') {
      out[j++] = '\\';
      out[j++] = 'n';
    } else if (ch == '\t') {
      out[j++] = '\\';
      out[j++] = 't';
    } else if (ch < 0x20 || ch == 0x7f) {
      j += (size_t)snprintf(out + j, 5, "\\x%02x", ch);
    } else {
      out[j++] = (char)ch;
    }
  }
  out[j] = '\0';
  return out;
}

static bool print_table(const cli_grid *g, FILE *f) {
  size_t n_rows = g->n_cells / g->n_cols;
  size_t *width = calloc(g->n_cols, sizeof *width);
  bool *numeric = calloc(g->n_cols, sizeof *numeric);
  char **shown = calloc(g->n_cells > 0 ? g->n_cells : 1, sizeof *shown);
  bool ok = width != NULL && numeric != NULL && shown != NULL;
  for (size_t c = 0; ok && c < g->n_cols; c++) {
    width[c] = display_width(g->headers[c]);
    numeric[c] = n_rows > 0;
  }
  for (size_t i = 0; ok && i < g->n_cells; i++) {
    const cli_cell *cell = &g->cells[i];
    size_t c = i % g->n_cols;
    shown[i] = printable(cell->kind == CLI_CELL_NULL ? "" : cell->text);
    if (shown[i] == NULL) {
      ok = false;
      break;
    }
    size_t w = display_width(shown[i]);
    if (w > width[c]) {
      width[c] = w;
    }
    if (cell->kind == CLI_CELL_TEXT) {
      numeric[c] = false;
    }
  }
  if (ok) {
    for (size_t c = 0; c < g->n_cols; c++) {
      print_padded(f, g->headers[c], c + 1 < g->n_cols || numeric[c] ? width[c] : 0, numeric[c]);
      fputs(c + 1 < g->n_cols ? "  " : "\n", f);
    }
    for (size_t c = 0; c < g->n_cols; c++) {
      for (size_t k = 0; k < width[c]; k++) {
        fputc('-', f);
      }
      fputs(c + 1 < g->n_cols ? "  " : "\n", f);
    }
    for (size_t r = 0; r < n_rows; r++) {
      for (size_t c = 0; c < g->n_cols; c++) {
        size_t i = r * g->n_cols + c;
        /* Last column unpadded: no trailing spaces. */
        print_padded(f, shown[i], c + 1 < g->n_cols || numeric[c] ? width[c] : 0, numeric[c]);
        fputs(c + 1 < g->n_cols ? "  " : "\n", f);
      }
    }
  }
  for (size_t i = 0; shown != NULL && i < g->n_cells; i++) {
    free(shown[i]);
  }
  free(shown);
  free(width);
  free(numeric);
  return ok;
}

static void print_csv_field(FILE *f, const char *s) {
  if (strpbrk(s, ",\"\r\n") == NULL) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (const char *p = s; *p != '\0'; p++) {
    if (*p == '"') {
      fputc('"', f);
    }
    fputc(*p, f);
  }
  fputc('"', f);
}

static bool print_csv(const cli_grid *g, FILE *f) {
  for (size_t c = 0; c < g->n_cols; c++) {
    print_csv_field(f, g->headers[c]);
    fputc(c + 1 < g->n_cols ? ',' : '\n', f);
  }
  for (size_t i = 0; i < g->n_cells; i++) {
    const cli_cell *cell = &g->cells[i];
    if (cell->kind != CLI_CELL_NULL) {
      print_csv_field(f, cell->text);
    }
    fputc((i + 1) % g->n_cols != 0 ? ',' : '\n', f);
  }
  return true;
}

/* JSON strings must be UTF-8; quarantined raw rows may not be. Invalid bytes become
 * U+FFFD so the output stays valid JSON and the rest of the text survives. */
static json_t *json_string_lossy(const char *s) {
  json_t *v = json_string(s);
  if (v != NULL) {
    return v;
  }
  size_t n = strlen(s);
  char *fixed = malloc(n * 3 + 1);
  if (fixed == NULL) {
    return NULL;
  }
  size_t j = 0;
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool good = len > 0 && i + len <= n;
    for (size_t k = 1; good && k < len; k++) {
      good = ((unsigned char)s[i + k] & 0xC0) == 0x80;
    }
    if (good) {
      char tmp[5] = {0};
      memcpy(tmp, s + i, len);
      json_t *probe = json_string(tmp); /* rejects overlong forms and surrogates */
      good = probe != NULL;
      json_decref(probe);
    }
    if (good) {
      memcpy(fixed + j, s + i, len);
      j += len;
      i += len;
    } else {
      memcpy(fixed + j, "\xEF\xBF\xBD", 3);
      j += 3;
      i += 1;
    }
  }
  fixed[j] = '\0';
  v = json_string(fixed);
  free(fixed);
  return v;
}

static bool print_json(const cli_grid *g, FILE *f) {
  json_t *arr = json_array();
  bool ok = arr != NULL;
  size_t n_rows = g->n_cells / g->n_cols;
  for (size_t r = 0; ok && r < n_rows; r++) {
    json_t *obj = json_object();
    ok = obj != NULL && json_array_append_new(arr, obj) == 0;
    for (size_t c = 0; ok && c < g->n_cols; c++) {
      const cli_cell *cell = &g->cells[r * g->n_cols + c];
      json_t *v = NULL;
      switch (cell->kind) {
      case CLI_CELL_NULL:
        v = json_null();
        break;
      case CLI_CELL_TEXT:
        v = json_string_lossy(cell->text);
        break;
      case CLI_CELL_INT:
        v = json_integer(cell->i);
        break;
      case CLI_CELL_REAL:
        v = json_real(cell->r);
        break;
      }
      ok = v != NULL && json_object_set_new(obj, g->headers[c], v) == 0;
    }
  }
  if (ok) {
    ok = json_dumpf(arr, f, CLI_JSON_FLAGS | JSON_ENSURE_ASCII) == 0;
    fputc('\n', f);
  }
  json_decref(arr);
  return ok;
}

bool cli_grid_print(const cli_grid *g, cli_format fmt, FILE *f) {
  if (g == NULL || g->oom) {
    fprintf(stderr, "segkit: out of memory while building output\n");
    return false;
  }
  switch (fmt) {
  case CLI_FORMAT_CSV:
    return print_csv(g, f);
  case CLI_FORMAT_JSON:
    return print_json(g, f);
  default:
    return print_table(g, f);
  }
}

json_t *cli_json_number(double v) { return isfinite(v) ? json_real(v) : json_null(); }

const char *cli_thousands(int64_t v, char *buf, size_t size) {
  char digits[32];
  unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  int n = snprintf(digits, sizeof digits, "%llu", u);
  size_t j = 0;
  if (v < 0 && j + 1 < size) {
    buf[j++] = '-';
  }
  for (int i = 0; i < n && j + 1 < size; i++) {
    buf[j++] = digits[i];
    int left = n - i - 1;
    if (left > 0 && left % 3 == 0 && j + 1 < size) {
      buf[j++] = ',';
    }
  }
  buf[j] = '\0';
  return buf;
}

/* The file is written beside its destination and renamed into place, so a reader (or a
 * cron job picking up exports) never sees half a file, and a failed write leaves any
 * earlier export intact. */
int cli_grid_write_file(const cli_grid *g, cli_format fmt, const char *path) {
  if (fmt == CLI_FORMAT_TABLE) {
    size_t len = strlen(path);
    fmt = len >= 5 && strcmp(path + len - 5, ".json") == 0 ? CLI_FORMAT_JSON : CLI_FORMAT_CSV;
  }
  size_t len = strlen(path) + 16;
  char *tmp = malloc(len);
  if (tmp == NULL) {
    fprintf(stderr, "segkit: out of memory\n");
    return CLI_EXIT_ENV;
  }
  snprintf(tmp, len, "%s.tmp%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (f == NULL) {
    fprintf(stderr, "segkit: %s: cannot write: %s\n", path, strerror(errno));
    free(tmp);
    return CLI_EXIT_ENV;
  }
  bool ok = cli_grid_print(g, fmt, f);
  bool written = fflush(f) == 0 && !ferror(f);
  int saved = errno;
  if (fclose(f) != 0) {
    written = false;
    saved = errno;
  }
  if (ok && !written) {
    fprintf(stderr, "segkit: %s: write failed: %s\n", path, strerror(saved));
  }
  if (ok && written && rename(tmp, path) != 0) {
    fprintf(stderr, "segkit: %s: cannot replace: %s\n", path, strerror(errno));
    written = false;
  }
  if (!ok || !written) {
    remove(tmp);
  }
  free(tmp);
  return ok && written ? 0 : CLI_EXIT_ENV;
}
