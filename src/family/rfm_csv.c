/* RFM straight from a CSV file (segkit_rfm_from_csv): the end-to-end path, file to scores.
 *
 * Key design choice: an optimistic fast path with the general path as its fallback. The
 * fast path splits the file into one byte range per thread at line ends; each thread reads
 * its range with pread in 8 MiB blocks (so the file is not held in memory) and takes only
 * the three to five fields RFM needs from each line (customer, date, amount, kind,
 * currency), converting them straight to (integer customer, day, signed cents) arrays;
 * the other columns are skipped, never parsed or stored. It accepts only plain input: no
 * quote character anywhere, the same field count on every line, integer customer ids,
 * values that parse. Anything else (quotes, string ids, a bad value, an unknown kind, a
 * currency without a rate, a negative charge) abandons the fast path, and the file is read
 * by segkit_csv_read and scored by segkit_rfm_compute, which report any error exactly as
 * they always do. So the fast path never decides what is valid; on input it accepts, it
 * gives the same cents as the general path (|amount| x 100 x rate rounded half to even
 * once; amounts with at most two decimals are read exactly as integer cents, which is what
 * that rounding gives for them), and the unit test compares the two. */
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "family/family_int.h"
#include "segkit/datetime.h"
#include "segkit/io.h"

enum { F_CUST = 0, F_DATE, F_AMOUNT, F_KIND, F_CUR, F_COUNT };

#define MAX_FIELDS 256
/* The header line and a line crossing a cut point must fit in this; a longer line is no
 * fast-path input. */
#define HEAD_BYTES 65536
/* Bytes a thread reads at a time. */
#define BLOCK_BYTES (8u << 20)

typedef struct plan {
  int fd;                    /* the file, read with pread by every thread */
  char head[HEAD_BYTES];     /* its first bytes: the header line */
  size_t head_len;
  size_t size;
  size_t body;               /* offset of the first data line */
  char delim;
  int n_fields;              /* fields per line */
  int col[F_COUNT];          /* field index of each role, -1 = not mapped */
  int last_needed;           /* highest field index used */
  const segkit_rfm_options *opt;
} plan;

/* ==== header ============================================================================ */

static size_t line_end(const char *p, size_t from, size_t size) {
  const char *nl = memchr(p + from, '\n', size - from);
  return nl ? (size_t)(nl - p) : size;
}

/* Field count and role positions from the header; false = not for the fast path. */
static bool read_header(plan *pl) {
  const char *p = pl->head;
  size_t start = pl->head_len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  size_t end = line_end(p, start, pl->head_len);
  if (end == pl->head_len && pl->head_len < pl->size) {
    return false; /* a header longer than HEAD_BYTES */
  }
  size_t len = end - start;
  if (len > 0 && p[end - 1] == '\r') {
    len--;
  }
  if (memchr(p + start, '"', len) != NULL) {
    return false;
  }
  static const char k_delims[] = {',', ';', '\t', '|'};
  size_t best = 0;
  for (size_t d = 0; d < sizeof k_delims; d++) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
      n += p[start + i] == k_delims[d];
    }
    if (n > best) {
      best = n;
      pl->delim = k_delims[d];
    }
  }
  if (best == 0) {
    return false;
  }
  /* Two candidate delimiters in the header: the reader's detection decides, not this one. */
  for (size_t d = 0; d < sizeof k_delims; d++) {
    if (k_delims[d] != pl->delim && memchr(p + start, k_delims[d], len) != NULL) {
      return false;
    }
  }
  const segkit_rfm_columns *c = &pl->opt->columns;
  const char *names[F_COUNT] = {c->customer, c->date, c->amount, c->kind, c->currency};
  for (int f = 0; f < F_COUNT; f++) {
    pl->col[f] = -1;
  }
  int idx = 0;
  size_t fs = start;
  for (size_t i = start; i <= start + len; i++) {
    if (i < start + len && p[i] != pl->delim) {
      continue;
    }
    for (int f = 0; f < F_COUNT; f++) {
      if (names[f] != NULL && strlen(names[f]) == i - fs && memcmp(names[f], p + fs, i - fs) == 0) {
        pl->col[f] = idx;
      }
    }
    idx++;
    fs = i + 1;
  }
  pl->n_fields = idx;
  if (idx > MAX_FIELDS) {
    return false;
  }
  pl->last_needed = -1;
  for (int f = 0; f < F_COUNT; f++) {
    bool mapped = names[f] != NULL;
    if (mapped && pl->col[f] < 0) {
      return false; /* the general path names the missing column */
    }
    pl->last_needed = pl->col[f] > pl->last_needed ? pl->col[f] : pl->last_needed;
  }
  pl->body = end < pl->size ? end + 1 : end;
  return true;
}

/* Read exactly n bytes at off (short only at the end of the file); -1 on an error. */
static ssize_t read_at(int fd, char *buf, size_t n, size_t off) {
  size_t got = 0;
  while (got < n) {
    ssize_t k = pread(fd, buf + got, n - got, (off_t)(off + got));
    if (k < 0) {
      return -1;
    }
    if (k == 0) {
      break;
    }
    got += (size_t)k;
  }
  return (ssize_t)got;
}

/* ==== one line ========================================================================== */

static bool is_null(const char *s, size_t n) {
  return n == 0 || (n == 2 && memcmp(s, "NA", 2) == 0) || (n == 3 && memcmp(s, "N/A", 3) == 0) ||
         (n == 4 && (memcmp(s, "NULL", 4) == 0 || memcmp(s, "null", 4) == 0));
}

static bool parse_int(const char *s, size_t n, int64_t *out) {
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '-' || s[i] == '+')) {
    neg = s[i] == '-';
    i++;
  }
  if (i == n || n - i > 18) {
    return false;
  }
  int64_t v = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    v = v * 10 + (s[i] - '0');
  }
  *out = neg ? -v : v;
  return true;
}

static bool digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
  }
  return true;
}

/* The day of a date or timestamp field. The common UTC form YYYY-MM-DDTHH:MM:SSZ is checked
 * here and only its date part parsed (its day is the date's); other forms go through
 * segkit_parse_timestamp (offsets, fractions, spaces). */
static bool parse_day(const char *s, size_t n, int32_t *day) {
  if (n == 10) {
    return segkit_parse_date(s, n, day);
  }
  if (n == 20 && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' &&
      digits(s + 11, 2) && digits(s + 14, 2) && digits(s + 17, 2) &&
      (s[11] - '0') * 10 + (s[12] - '0') < 24 && s[14] < '6' && s[17] < '6') {
    return segkit_parse_date(s, 10, day);
  }
  int64_t us = 0;
  if (!segkit_parse_timestamp(s, n, &us)) {
    return false;
  }
  *day = sk__fam_us_to_day(us);
  return true;
}

/* |amount| in cents at rate 1 exactly (at most two decimals), else through a double. */
static bool parse_amount(const char *s, size_t n, double rate, int64_t *cents, bool *negative) {
  size_t i = 0;
  *negative = false;
  if (i < n && (s[i] == '-' || s[i] == '+')) {
    *negative = s[i] == '-';
    i++;
  }
  int64_t whole = 0;
  size_t digits = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 13) {
    whole = whole * 10 + (s[i++] - '0');
    digits++;
  }
  int64_t frac = 0;
  size_t fd = 0;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && s[i] >= '0' && s[i] <= '9' && fd < 3) {
      frac = frac * 10 + (s[i++] - '0');
      fd++;
    }
  }
  if (rate == 1.0 && i == n && digits > 0 && fd <= 2) {
    *cents = whole * 100 + (fd == 1 ? frac * 10 : frac);
    return true;
  }
  char buf[64];
  if (n >= sizeof buf) {
    return false;
  }
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *end = NULL;
  double a = strtod(buf, &end);
  if (end != buf + n || !isfinite(a)) {
    return false;
  }
  double v = fabs(a) * 100.0 * rate;
  if (!(v < 0x1p52)) {
    return false;
  }
  *cents = (int64_t)((v + 0x1p52) - 0x1p52);
  *negative = a < 0.0;
  return true;
}

static int kind_of(const char *s, size_t n) {
  /* The lower-case spellings first: one comparison for nearly every row. */
  if (n == 6 && memcmp(s, "charge", 6) == 0) {
    return 1;
  }
  if (n == 6 && memcmp(s, "refund", 6) == 0) {
    return -1;
  }
  static const char *const k_charge[] = {"charge", "payment", "sale", "invoice"};
  static const char *const k_refund[] = {"refund", "credit", "chargeback"};
  for (size_t i = 0; i < 4; i++) {
    if (strlen(k_charge[i]) == n && strncasecmp(s, k_charge[i], n) == 0) {
      return 1;
    }
  }
  for (size_t i = 0; i < 3; i++) {
    if (strlen(k_refund[i]) == n && strncasecmp(s, k_refund[i], n) == 0) {
      return -1;
    }
  }
  return 0;
}

static double rate_of(const segkit_rfm_options *opt, const char *s, size_t n) {
  for (size_t i = 0; i < opt->n_rates; i++) {
    const char *c = opt->rates[i].currency;
    if (c != NULL && strlen(c) == n && strncasecmp(s, c, n) == 0) {
      return opt->rates[i].rate;
    }
  }
  return 0.0;
}

typedef struct part {
  const plan *pl;
  size_t b0, b1;             /* byte range of the file: whole lines */
  int64_t *cust;
  int32_t *day;
  double *amount;            /* signed major units: cents / 100 */
  size_t n, cap;
  size_t skipped;
  bool bail;                 /* not for the fast path */
} part;

static bool grow(part *p) {
  size_t cap = p->cap ? p->cap * 2 : 65536;
  int64_t *c = realloc(p->cust, cap * sizeof *c);
  if (c == NULL) {
    return false;
  }
  p->cust = c;
  int32_t *d = realloc(p->day, cap * sizeof *d);
  if (d == NULL) {
    return false;
  }
  p->day = d;
  double *a = realloc(p->amount, cap * sizeof *a);
  if (a == NULL) {
    return false;
  }
  p->amount = a;
  p->cap = cap;
  return true;
}

/* Positions of the delimiters of a line, 8 bytes at a time: a byte equal to the
 * delimiter becomes 0 after the XOR, and ~(((t & 7F..) + 7F..) | t | 7F..) sets the top bit
 * of exactly the zero bytes (no false positives, unlike the shorter (t - 01..) & ~t
 * form). Returns the field count; ends[k] is the end of field k (n for the last). */
static int split_fields(const char *s, size_t n, char delim, uint32_t *ends, int max) {
  const uint64_t lo7 = 0x7f7f7f7f7f7f7f7fULL;
  const uint64_t pattern = 0x0101010101010101ULL * (uint8_t)delim;
  int k = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    uint64_t t = w ^ pattern;
    uint64_t m = ~(((t & lo7) + lo7) | t | lo7);
    while (m != 0) {
      if (k == max) {
        return max + 1;
      }
      ends[k++] = (uint32_t)(i + (size_t)(__builtin_ctzll(m) >> 3));
      m &= m - 1;
    }
  }
  for (; i < n; i++) {
    if (s[i] == delim) {
      if (k == max) {
        return max + 1;
      }
      ends[k++] = (uint32_t)i;
    }
  }
  if (k == max) {
    return max + 1;
  }
  ends[k++] = (uint32_t)n;
  return k;
}

/* One data line [s, s + n): false abandons the fast path. */
static bool take_line(part *p, const char *s, size_t n) {
  const plan *pl = p->pl;
  uint32_t ends[MAX_FIELDS];
  if (n > UINT32_MAX || split_fields(s, n, pl->delim, ends, MAX_FIELDS) != pl->n_fields) {
    return false;
  }
  const char *f[F_COUNT] = {NULL};
  size_t fl[F_COUNT] = {0};
  for (int r = 0; r < F_COUNT; r++) {
    int c = pl->col[r];
    if (c < 0) {
      continue;
    }
    size_t b = c == 0 ? 0 : ends[c - 1] + 1;
    f[r] = s + b;
    fl[r] = ends[c] - b;
  }
  int64_t key = 0;
  /* A skipped row's customer id still decides the column's type in the general reader: a
   * non-integer one there makes the ids strings, so the fast path must not go on. */
  bool cust_null = is_null(f[F_CUST], fl[F_CUST]);
  if (!cust_null && !parse_int(f[F_CUST], fl[F_CUST], &key)) {
    return false;
  }
  for (int r = 0; r < F_COUNT; r++) {
    if (pl->col[r] >= 0 && is_null(f[r], fl[r])) {
      p->skipped++;
      return true;
    }
  }
  int32_t day = 0;
  double rate = 1.0;
  if (pl->col[F_CUR] >= 0) {
    rate = rate_of(pl->opt, f[F_CUR], fl[F_CUR]);
  }
  int64_t cents = 0;
  bool negative = false;
  if (!(rate > 0.0) || !parse_day(f[F_DATE], fl[F_DATE], &day) ||
      !parse_amount(f[F_AMOUNT], fl[F_AMOUNT], rate, &cents, &negative)) {
    return false;
  }
  bool refund = negative;
  if (pl->col[F_KIND] >= 0) {
    int k = kind_of(f[F_KIND], fl[F_KIND]);
    if (k == 0 || (k > 0 && negative && !pl->opt->negative_charge_is_refund)) {
      return false;
    }
    refund = negative || k < 0;
  }
  if (p->n == p->cap && !grow(p)) {
    return false;
  }
  p->cust[p->n] = key;
  p->day[p->n] = day;
  p->amount[p->n] = (double)(refund ? -cents : cents) / 100.0;
  p->n++;
  return true;
}

/* The lines of buf[0, n): complete lines only unless last; *used gets the bytes taken. */
static bool take_lines(part *p, const char *buf, size_t n, bool last, size_t *used) {
  size_t at = 0;
  while (at < n) {
    const char *nl = memchr(buf + at, '\n', n - at);
    if (nl == NULL && !last) {
      break;
    }
    size_t end = nl ? (size_t)(nl - buf) : n;
    size_t len = end - at;
    if (len > 0 && buf[end - 1] == '\r') {
      len--;
    }
    /* A blank line is no row (the general reader skips it too). */
    if (len > 0 && !take_line(p, buf + at, len)) {
      return false;
    }
    at = end + 1;
  }
  *used = at < n ? at : n;
  return true;
}

/* Read the part's byte range a block at a time; a line cut by a block end is carried to the
 * front of the next block. */
static void *run_part(void *arg) {
  part *p = arg;
  char *buf = malloc(BLOCK_BYTES + HEAD_BYTES);
  if (buf == NULL) {
    p->bail = true;
    return NULL;
  }
  size_t carry = 0;
  size_t off = p->b0;
  while (off < p->b1) {
    size_t want = p->b1 - off < BLOCK_BYTES ? p->b1 - off : BLOCK_BYTES;
    ssize_t got = read_at(p->pl->fd, buf + carry, want, off);
    if (got != (ssize_t)want || memchr(buf + carry, '"', want) != NULL) {
      p->bail = true;
      break;
    }
    off += want;
    size_t used = 0;
    if (!take_lines(p, buf, carry + want, off >= p->b1, &used)) {
      p->bail = true;
      break;
    }
    carry = carry + want - used;
    if (carry > HEAD_BYTES) {
      p->bail = true; /* a line longer than HEAD_BYTES */
      break;
    }
    memmove(buf, buf + used, carry);
  }
  free(buf);
  return NULL;
}

/* ==== the two paths ====================================================================== */

static void parts_free(part *parts, int np) {
  for (int i = 0; i < np; i++) {
    free(parts[i].cust);
    free(parts[i].day);
    free(parts[i].amount);
  }
}

/* Concatenate the parts into one (customer, day, amount) table: part 0's arrays grow to the
 * total (realloc, which moves large blocks by remapping pages rather than copying them) and
 * the others are copied in and freed one by one, so the rows are held about once. */
static segkit_status join_parts(const plan *pl, part *parts, int np, segkit_table **out,
                                size_t *skipped, segkit_error *err) {
  size_t n = 0;
  *skipped = 0;
  for (int i = 0; i < np; i++) {
    n += parts[i].n;
    *skipped += parts[i].skipped;
  }
  part *a = &parts[0];
  if (a->cap < n || a->cap == 0) {
    size_t k = n ? n : 1;
    int64_t *c = realloc(a->cust, k * sizeof *c);
    if (c != NULL) {
      a->cust = c;
    }
    int32_t *d = realloc(a->day, k * sizeof *d);
    if (d != NULL) {
      a->day = d;
    }
    double *m = realloc(a->amount, k * sizeof *m);
    if (m != NULL) {
      a->amount = m;
    }
    if (c == NULL || d == NULL || m == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu transactions", n);
    }
    a->cap = k;
  }
  size_t at = a->n;
  for (int i = 1; i < np; i++) {
    part *b = &parts[i];
    if (b->n > 0) {
      memcpy(a->cust + at, b->cust, b->n * sizeof *a->cust);
      memcpy(a->day + at, b->day, b->n * sizeof *a->day);
      memcpy(a->amount + at, b->amount, b->n * sizeof *a->amount);
    }
    at += b->n;
    free(b->cust);
    free(b->day);
    free(b->amount);
    b->cust = NULL;
    b->day = NULL;
    b->amount = NULL;
  }
  segkit_column_arrays cols[3] = {
      {.name = pl->opt->columns.customer, .type = SEGKIT_TYPE_INT64, .data = a->cust},
      {.name = "day", .type = SEGKIT_TYPE_DATE, .data = a->day},
      {.name = "amount", .type = SEGKIT_TYPE_FLOAT64, .data = a->amount},
  };
  if (strcmp(pl->opt->columns.customer, "day") == 0 ||
      strcmp(pl->opt->columns.customer, "amount") == 0) {
    cols[1].name = "__day";
    cols[2].name = "__amount";
  }
  /* The table takes the arrays (and frees them if it fails). */
  a->cust = NULL;
  a->day = NULL;
  a->amount = NULL;
  return sk__fam_table_take(n, 3, cols, out, err);
}

/* The offset just after the first line end at or after pos (the file size if none before
 * it), SIZE_MAX when no line end is within HEAD_BYTES. */
static size_t next_line(const plan *pl, size_t pos) {
  char buf[4096];
  size_t off = pos;
  while (off < pl->size && off - pos < HEAD_BYTES) {
    ssize_t got = read_at(pl->fd, buf, sizeof buf, off);
    if (got <= 0) {
      return SIZE_MAX;
    }
    const char *nl = memchr(buf, '\n', (size_t)got);
    if (nl != NULL) {
      return off + (size_t)(nl - buf) + 1;
    }
    off += (size_t)got;
  }
  return off >= pl->size ? pl->size : SIZE_MAX;
}

/* Score the fast path's table; false in *done when the fast path gave up. */
static segkit_status fast_path(plan *pl, segkit_rfm_result **out, segkit_table **table_out,
                               bool *done, segkit_error *err) {
  *done = false;
  if (!read_header(pl)) {
    return SEGKIT_OK;
  }
  int np = sk__fam_threads(pl->opt->n_threads, (pl->size - pl->body) / 32);
  part parts[SK__FAM_MAX_THREADS];
  memset(parts, 0, sizeof parts);
  size_t body = pl->size - pl->body;
  size_t prev = pl->body;
  for (int i = 0; i < np; i++) {
    size_t cut = pl->size;
    if (i + 1 < np) {
      cut = next_line(pl, pl->body + body * (size_t)(i + 1) / (size_t)np);
      if (cut == SIZE_MAX) {
        return SEGKIT_OK; /* no line end near the cut: not for the fast path */
      }
      cut = cut < prev ? prev : cut;
    }
    parts[i] = (part){.pl = pl, .b0 = prev, .b1 = cut};
    prev = cut;
  }
  sk__run_workers(run_part, parts, sizeof parts[0], np);
  bool bail = false;
  for (int i = 0; i < np; i++) {
    bail = bail || parts[i].bail;
  }
  segkit_table *t = NULL;
  size_t skipped = 0;
  segkit_status s = SEGKIT_OK;
  if (!bail) {
    s = join_parts(pl, parts, np, &t, &skipped, err);
  }
  parts_free(parts, np);
  if (bail || s != SEGKIT_OK) {
    return s;
  }
  segkit_rfm_options o = *pl->opt;
  o.columns = (segkit_rfm_columns){segkit_column_name(segkit_table_column(t, 0)),
                                   segkit_column_name(segkit_table_column(t, 1)),
                                   segkit_column_name(segkit_table_column(t, 2)), NULL, NULL};
  o.rates = NULL;
  o.n_rates = 0;
  s = segkit_rfm_compute(t, &o, out, err);
  if (s == SEGKIT_OK) {
    sk__rfm_add_skipped(*out, skipped);
    if (table_out != NULL) {
      s = segkit_rfm_table(*out, t, table_out, err);
    }
    if (s != SEGKIT_OK) {
      segkit_rfm_result_free(*out);
      *out = NULL;
    }
  }
  segkit_table_free(t);
  *done = s == SEGKIT_OK;
  return s;
}

static segkit_status general_path(const char *path, const segkit_rfm_options *opt,
                                  segkit_rfm_result **out, segkit_table **table_out,
                                  segkit_error *err) {
  segkit_read_options ro;
  segkit_read_options_init(&ro);
  ro.n_threads = opt->n_threads;
  segkit_read_result *rr = NULL;
  segkit_status s = segkit_csv_read(path, &ro, &rr, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  const segkit_table *t = segkit_read_result_table(rr);
  s = segkit_rfm_compute(t, opt, out, err);
  if (s == SEGKIT_OK && table_out != NULL) {
    s = segkit_rfm_table(*out, t, table_out, err);
    if (s != SEGKIT_OK) {
      segkit_rfm_result_free(*out);
      *out = NULL;
    }
  }
  segkit_read_result_free(rr);
  return s;
}

/* Options the fast path can take as they are; bad ones are left to the general path, which
 * reports them. */
static bool options_fit(const segkit_rfm_options *opt) {
  if (opt->columns.customer == NULL || opt->columns.date == NULL ||
      opt->columns.amount == NULL || opt->since > opt->as_of) {
    return false;
  }
  if (opt->columns.currency == NULL) {
    return true;
  }
  if (opt->n_rates > 0 && opt->rates == NULL) {
    return false;
  }
  for (size_t i = 0; i < opt->n_rates; i++) {
    if (opt->rates[i].currency == NULL || !(opt->rates[i].rate > 0.0) ||
        !isfinite(opt->rates[i].rate)) {
      return false;
    }
  }
  return true;
}

segkit_status segkit_rfm_from_csv(const char *path, const segkit_rfm_options *opt,
                                  segkit_rfm_result **out, segkit_table **table_out,
                                  bool *fast_out, segkit_error *err) {
  if (path == NULL || opt == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_rfm_from_csv: NULL argument");
  }
  if (fast_out != NULL) {
    *fast_out = false;
  }
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_IO, path, 0, 0, NULL, "cannot open the file");
  }
  struct stat st;
  bool done = false;
  segkit_status s = SEGKIT_OK;
  plan *pl = calloc(1, sizeof *pl);
  bool plain = pl != NULL && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
               options_fit(opt);
  if (plain) {
    pl->fd = fd;
    pl->size = (size_t)st.st_size;
    pl->opt = opt;
    ssize_t got = read_at(fd, pl->head, sizeof pl->head, 0);
    plain = got > 0;
    pl->head_len = got > 0 ? (size_t)got : 0;
  }
  if (plain) {
    s = fast_path(pl, out, table_out, &done, err);
  }
  free(pl);
  close(fd);
  if (done || s != SEGKIT_OK) {
    if (fast_out != NULL) {
      *fast_out = done;
    }
    return s;
  }
  return general_path(path, opt, out, table_out, err);
}
