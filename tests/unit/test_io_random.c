/* Randomized differential test of the CSV reader.
 *
 * For many seeds: generate a random CSV (random quoting, delimiters, quotes, CR and LF
 * inside quoted fields, multi-byte UTF-8, blank lines, CRLF or LF endings, with or
 * without a final newline, and some broken rows: stray quotes, text after a closing
 * quote, ragged rows, an unclosed quote at the end), then compare what segkit reads, with
 * several buffer sizes and thread counts, against a simple reference tokenizer written
 * here one byte at a time. Every column is fixed to string and no null spellings are
 * used, so every field can be compared as text (null = unquoted empty field). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/io.h"

static uint64_t rng_next(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * UINT64_C(2685821657736338717);
}

static unsigned below(uint64_t *s, unsigned n) {
  return (unsigned)(rng_next(s) % n);
}

/* ==== growable text ===================================================================== */

typedef struct text {
  char *p;
  size_t n, cap;
} text;

static void put(text *t, const char *s, size_t n) {
  while (t->n + n + 1 > t->cap) {
    t->cap = t->cap == 0 ? 256 : t->cap * 2;
    t->p = realloc(t->p, t->cap);
  }
  memcpy(t->p + t->n, s, n);
  t->n += n;
  t->p[t->n] = '\0';
}

static void puts_(text *t, const char *s) {
  put(t, s, strlen(s));
}

/* ==== generator ========================================================================= */

static const char *const pieces[] = {"a", "b", "z", "1", " ", "\xC3\xA9", "\xE2\x82\xAC",
                                     "\xF0\x9F\x98\x80", ";", "|", "\t", ",", "\"", "\r",
                                     "\n", "\"\"", "x y"};

static void gen_content(uint64_t *s, text *out) {
  unsigned len = below(s, 7);
  for (unsigned i = 0; i < len; i++) {
    puts_(out, pieces[below(s, sizeof pieces / sizeof pieces[0])]);
  }
}

static bool needs_quotes(const text *c, char delim) {
  for (size_t i = 0; i < c->n; i++) {
    char ch = c->p[i];
    if (ch == delim || ch == '"' || ch == '\r' || ch == '\n') {
      return true;
    }
  }
  return false;
}

static void put_field(uint64_t *s, text *out, char delim) {
  text c = {0};
  gen_content(s, &c);
  bool quote = needs_quotes(&c, delim) || below(s, 4) == 0;
  if (!quote) {
    if (c.n > 0) {
      put(out, c.p, c.n);
    }
  } else {
    puts_(out, "\"");
    for (size_t i = 0; i < c.n; i++) {
      put(out, &c.p[i], 1);
      if (c.p[i] == '"') {
        puts_(out, "\"");
      }
    }
    puts_(out, "\"");
  }
  free(c.p);
}

static char *generate(uint64_t seed, char *delim_out, size_t *ncols_out, size_t *len_out) {
  uint64_t s = seed * 7919 + 1;
  static const char delims[] = {',', ';', '\t', '|'};
  char delim = delims[below(&s, 4)];
  size_t ncols = 1 + below(&s, 5);
  const char *eol = below(&s, 2) ? "\n" : "\r\n";
  text out = {0};
  for (size_t c = 0; c < ncols; c++) {
    char name[16];
    snprintf(name, sizeof name, "%sc%zu", c > 0 ? (char[2]){delim, 0} : "", c);
    puts_(&out, name);
  }
  puts_(&out, eol);
  unsigned rows = below(&s, 120);
  for (unsigned r = 0; r < rows; r++) {
    unsigned kind = below(&s, 100);
    if (kind < 3) {
      puts_(&out, eol); /* blank line */
      continue;
    }
    size_t nf = ncols;
    if (kind < 8) {
      nf = ncols + 1 + below(&s, 2); /* too many */
    } else if (kind < 13 && ncols > 1) {
      nf = 1 + below(&s, (unsigned)(ncols - 1)); /* too few */
    }
    size_t bad_field = kind >= 13 && kind < 20 ? below(&s, (unsigned)nf) : SIZE_MAX;
    for (size_t f = 0; f < nf; f++) {
      if (f > 0) {
        put(&out, &delim, 1);
      }
      if (f == bad_field) {
        if (kind < 17) {
          puts_(&out, "ab\"cd"); /* stray quote */
        } else {
          puts_(&out, "\"q\"x"); /* text after the closing quote */
        }
        continue;
      }
      put_field(&s, &out, delim);
    }
    if (ncols == 1 && nf == 1 && out.n > 0 && (out.p[out.n - 1] == '\n')) {
      /* a lone empty unquoted field would read as a blank line: make it a real value */
      puts_(&out, "v");
    }
    if (r + 1 < rows || below(&s, 2) == 0) {
      puts_(&out, eol);
    }
  }
  if (below(&s, 15) == 0) {
    puts_(&out, "\"unclosed, to the end\n1,2"); /* unclosed quote at the end */
  }
  *delim_out = delim;
  *ncols_out = ncols;
  *len_out = out.n;
  return out.p;
}

/* ==== reference tokenizer =============================================================== */

typedef struct ref_field {
  char *v;
  size_t n;
  bool quoted;
} ref_field;

typedef struct ref_row {
  int64_t line;
  size_t raw_start, raw_end;
  ref_field *f;
  size_t nf;
  bool bad_quote;
} ref_row;

/* Byte at a time, following RFC 4180 as the reader documents it: a quote opens a
 * quoted field only at the field start; "" inside is one quote; after the closing quote
 * only a delimiter, CRLF, LF or the end may come; any other quote is literal but makes
 * the row bad. A blank line is not a row. */
static ref_row *ref_parse(const char *s, size_t n, char delim, size_t *n_rows) {
  ref_row *rows = NULL;
  size_t nr = 0;
  size_t cap = 0;
  size_t i = 0;
  int64_t line = 1;
  while (i < n) {
    ref_row row = {line, i, 0, NULL, 0, false};
    text cur = {0};
    bool quoted = false;
    enum { START, UNQ, INQ, AFTER } st = START;
    bool ended = false;
    while (i < n && !ended) {
      char c = s[i];
      switch (st) {
        case START:
        case UNQ:
          if (c == '"' && st == START) {
            st = INQ;
            quoted = true;
            i++;
          } else if (c == delim || c == '\n') {
            ref_field f = {cur.p, cur.n, quoted};
            if (c == '\n' && !quoted && f.n > 0 && f.v[f.n - 1] == '\r') {
              f.n--;
            }
            row.f = realloc(row.f, (row.nf + 1) * sizeof *row.f);
            row.f[row.nf++] = f;
            cur = (text){0};
            quoted = false;
            st = START;
            if (c == '\n') {
              row.raw_end = i > row.raw_start && s[i - 1] == '\r' ? i - 1 : i;
              line++;
              ended = true;
            }
            i++;
          } else {
            if (c == '"') {
              row.bad_quote = true;
            }
            put(&cur, &c, 1);
            st = UNQ;
            i++;
          }
          break;
        case INQ:
          if (c == '"' && i + 1 < n && s[i + 1] == '"') {
            put(&cur, "\"", 1);
            i += 2;
          } else if (c == '"') {
            st = AFTER;
            i++;
          } else {
            if (c == '\n') {
              line++;
            }
            put(&cur, &c, 1);
            i++;
          }
          break;
        case AFTER:
          if (c == '\r' && i + 1 == n) {
            /* a final CR after the closing quote, then the end: the row ends */
            ref_field f = {cur.p, cur.n, true};
            row.f = realloc(row.f, (row.nf + 1) * sizeof *row.f);
            row.f[row.nf++] = f;
            cur = (text){0};
            row.raw_end = i;
            ended = true;
            i++;
            break;
          }
          if (c == delim || c == '\n' || (c == '\r' && i + 1 < n && s[i + 1] == '\n')) {
            if (c == '\r') {
              i++; /* the LF comes next and ends the row */
              c = '\n';
            }
            ref_field f = {cur.p, cur.n, true};
            row.f = realloc(row.f, (row.nf + 1) * sizeof *row.f);
            row.f[row.nf++] = f;
            cur = (text){0};
            quoted = false;
            st = START;
            if (c == '\n') {
              row.raw_end = s[i - 1] == '\r' ? i - 1 : i;
              line++;
              ended = true;
            }
            i++;
          } else {
            row.bad_quote = true;
            quoted = false;
            st = UNQ;
          }
          break;
      }
    }
    if (!ended) {
      /* The end of the input ends the row. */
      row.raw_end = n;
      if (st == INQ) {
        row.bad_quote = true;
      } else if (n > row.raw_start && s[n - 1] == '\r') {
        row.raw_end = n - 1;
        if (cur.n > 0 && cur.p[cur.n - 1] == '\r') {
          cur.n--;
        }
      }
      ref_field f = {cur.p, cur.n, quoted};
      row.f = realloc(row.f, (row.nf + 1) * sizeof *row.f);
      row.f[row.nf++] = f;
    }
    if (row.raw_end == row.raw_start && !row.bad_quote) {
      for (size_t k = 0; k < row.nf; k++) {
        free(row.f[k].v);
      }
      free(row.f);
      continue; /* blank line */
    }
    if (nr == cap) {
      cap = cap == 0 ? 64 : cap * 2;
      rows = realloc(rows, cap * sizeof *rows);
    }
    rows[nr++] = row;
  }
  *n_rows = nr;
  return rows;
}

static void ref_free(ref_row *rows, size_t n) {
  for (size_t r = 0; r < n; r++) {
    for (size_t k = 0; k < rows[r].nf; k++) {
      free(rows[r].f[k].v);
    }
    free(rows[r].f);
  }
  free(rows);
}

/* ==== comparison ======================================================================== */

static void compare(uint64_t seed, const char *data, size_t len, char delim, size_t ncols,
                    const ref_row *rows, size_t nr, size_t buffer, int threads) {
  char names[8][24];
  segkit_type_override types[8];
  for (size_t c = 0; c < ncols; c++) {
    snprintf(names[c], sizeof names[c], "c%zu", c);
    types[c].column = names[c];
    types[c].type = SEGKIT_TYPE_STRING;
  }
  const char *no_nulls[1] = {NULL};
  segkit_read_options o;
  segkit_read_options_init(&o);
  o.delimiter = delim;
  o.types = types;
  o.n_types = ncols;
  o.null_values = no_nulls;
  o.n_null_values = 0;
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  o.buffer_bytes = buffer;
  o.n_threads = threads;
  segkit_read_result *res = NULL;
  segkit_error err;
  segkit_status st = segkit_csv_read_buffer(data, len, &o, &res, &err);
  if (st != SEGKIT_OK) {
    fail_msg("seed %llu: read failed: %s", (unsigned long long)seed, err.message);
  }
  const segkit_table *t = segkit_read_result_table(res);
  size_t good = 0;
  size_t bad = 0;
  /* rows[0] is the header. */
  for (size_t r = 1; r < nr; r++) {
    const ref_row *row = &rows[r];
    segkit_reject_reason want;
    bool is_bad = true;
    if (row->bad_quote) {
      want = SEGKIT_REJECT_BAD_QUOTE;
    } else if (row->nf < ncols) {
      want = SEGKIT_REJECT_TOO_FEW_FIELDS;
    } else if (row->nf > ncols) {
      want = SEGKIT_REJECT_TOO_MANY_FIELDS;
    } else {
      is_bad = false;
      want = SEGKIT_REJECT_COUNT;
    }
    if (is_bad) {
      const segkit_reject *j = segkit_read_result_reject(res, bad++);
      if (j == NULL || j->reason != want || j->line != row->line ||
          j->raw_len != row->raw_end - row->raw_start ||
          memcmp(j->raw, data + row->raw_start, j->raw_len) != 0) {
        fail_msg("seed %llu buffer %zu threads %d: reject %zu (line %lld) differs: %s line "
                 "%lld vs %s",
                 (unsigned long long)seed, buffer, threads, bad - 1, (long long)row->line,
                 j ? segkit_reject_reason_id(j->reason) : "none", j ? (long long)j->line : -1,
                 segkit_reject_reason_id(want));
      }
      continue;
    }
    for (size_t c = 0; c < ncols; c++) {
      const segkit_column *col = segkit_table_column(t, c);
      const ref_field *f = &row->f[c];
      bool want_null = !f->quoted && f->n == 0;
      if (want_null) {
        if (segkit_column_is_valid(col, good)) {
          fail_msg("seed %llu: row %zu col %zu should be null", (unsigned long long)seed, good,
                   c);
        }
        continue;
      }
      size_t n = 0;
      const char *v = segkit_column_dict_value(col, segkit_column_codes(col)[good], &n);
      if (!segkit_column_is_valid(col, good) || n != f->n || (n > 0 && memcmp(v, f->v, n) != 0)) {
        fail_msg("seed %llu buffer %zu threads %d: line %lld col %zu: got [%.*s] want [%.*s]",
                 (unsigned long long)seed, buffer, threads, (long long)row->line, c, (int)n, v,
                 (int)f->n, f->v);
      }
    }
    good++;
  }
  assert_int_equal(segkit_table_n_rows(t), good);
  assert_int_equal(segkit_read_result_n_rejects(res), bad);
  const segkit_read_counts *k = segkit_read_result_counts(res);
  assert_int_equal(k->rows_read, (int64_t)(good + bad));
  assert_int_equal(k->rows_rejected, (int64_t)bad);
  segkit_read_result_free(res);
}

static void io_random_differential(void **state) {
  (void)state;
  size_t buffers[] = {17, 64, 333, 0};
  for (uint64_t seed = 1; seed <= 250; seed++) {
    char delim = 0;
    size_t ncols = 0;
    size_t len = 0;
    char *data = generate(seed, &delim, &ncols, &len);
    size_t nr = 0;
    ref_row *rows = ref_parse(data, len, delim, &nr);
    assert_true(nr >= 1);
    assert_int_equal(rows[0].nf, ncols);
    for (size_t b = 0; b < sizeof buffers / sizeof buffers[0]; b++) {
      /* 1 thread appends inline; 2-3 give one region with a parser and an appender;
       * 4-5 give two such regions joined at the end. */
      for (int threads = 1; threads <= 5; threads++) {
        compare(seed, data, len, delim, ncols, rows, nr, buffers[b], threads);
      }
    }
    ref_free(rows, nr);
    free(data);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(io_random_differential),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
