/* User-supplied strptime-like time formats, compiled once and then applied per value.
 *
 * Key design choice: the pattern is compiled into a flat array of small operations
 * (match a byte, skip spaces, read a field of some kind), and the combination rules are
 * checked at compile time (a year is required, %I needs %p, %j excludes a month or day,
 * %s stands alone, no field twice), so that parsing a value is one pass over the ops with
 * no allocation and no second interpretation of the pattern, and a bad pattern is
 * reported once to the user instead of failing every row. Month names are English and
 * matched case-insensitively by hand, never through the C locale. Field ranges are the
 * strict ones of datetime.c (seconds 0-59: a leap second is rejected, see there). */
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "segkit/datetime.h"

#define SK_MAX_PATTERN_OPS 128

typedef enum op_kind {
  OP_LITERAL,    /* one byte that must match itself */
  OP_SPACES,     /* one or more ' ' */
  OP_YEAR4,      /* %Y */
  OP_YEAR2,      /* %y */
  OP_MONTH,      /* %m */
  OP_MONTH_NAME, /* %b %B */
  OP_DAY,        /* %d */
  OP_DAY_SPACE,  /* %e */
  OP_YDAY,       /* %j */
  OP_HOUR24,     /* %H */
  OP_HOUR12,     /* %I */
  OP_AMPM,       /* %p */
  OP_MINUTE,     /* %M */
  OP_SECOND,     /* %S */
  OP_FRACTION,   /* %f */
  OP_OFFSET,     /* %z */
  OP_UNIX        /* %s */
} op_kind;

typedef struct time_op {
  unsigned char kind;
  char byte; /* OP_LITERAL */
} time_op;

struct segkit_time_format {
  bool has_time;
  bool is_unix;
  bool has_yday;
  bool twelve_hour;
  size_t n_ops;
  time_op ops[];
};

/* Which field a directive sets, to refuse patterns that set one twice. */
enum {
  F_YEAR = 1u << 0,
  F_MONTH = 1u << 1,
  F_DAY = 1u << 2,
  F_YDAY = 1u << 3,
  F_HOUR = 1u << 4,
  F_AMPM = 1u << 5,
  F_MINUTE = 1u << 6,
  F_SECOND = 1u << 7,
  F_FRACTION = 1u << 8,
  F_OFFSET = 1u << 9,
  F_UNIX = 1u << 10
};

static const char *const month_names[12] = {"january", "february", "march",     "april",
                                            "may",     "june",     "july",      "august",
                                            "september", "october", "november", "december"};

/* ---- compiling ------------------------------------------------------------------------ */

typedef struct directive {
  char letter;
  op_kind kind;
  unsigned field;
} directive;

static const directive directives[] = {
    {'Y', OP_YEAR4, F_YEAR},      {'y', OP_YEAR2, F_YEAR},       {'m', OP_MONTH, F_MONTH},
    {'b', OP_MONTH_NAME, F_MONTH}, {'B', OP_MONTH_NAME, F_MONTH}, {'d', OP_DAY, F_DAY},
    {'e', OP_DAY_SPACE, F_DAY},   {'j', OP_YDAY, F_YDAY},        {'H', OP_HOUR24, F_HOUR},
    {'I', OP_HOUR12, F_HOUR},     {'p', OP_AMPM, F_AMPM},        {'M', OP_MINUTE, F_MINUTE},
    {'S', OP_SECOND, F_SECOND},   {'f', OP_FRACTION, F_FRACTION}, {'z', OP_OFFSET, F_OFFSET},
    {'s', OP_UNIX, F_UNIX},
};

static const directive *find_directive(char letter) {
  for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++) {
    if (directives[i].letter == letter) {
      return &directives[i];
    }
  }
  return NULL;
}

/* The combination rules, checked once the whole pattern is known. */
static segkit_status check_fields(const char *pattern, unsigned fields, bool hour12,
                                  segkit_error *err) {
  const char *why = NULL;
  if ((fields & F_UNIX) && (fields & ~(F_UNIX | F_FRACTION))) {
    why = "%s gives the whole instant and cannot be combined with other fields except %f";
  } else if (!(fields & F_UNIX) && !(fields & F_YEAR)) {
    why = "a year is required (expected %Y or %y)";
  } else if ((fields & F_YDAY) && (fields & (F_MONTH | F_DAY))) {
    why = "%j gives the day of the year and cannot be combined with a month or day";
  } else if (hour12 && !(fields & F_AMPM)) {
    why = "%I needs %p (AM/PM)";
  } else if ((fields & F_AMPM) && !hour12) {
    why = "%p needs %I (12-hour clock)";
  }
  if (why != NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "time format \"%s\": %s", pattern, why);
  }
  return SEGKIT_OK;
}

segkit_status segkit_time_format_new(const char *pattern, segkit_time_format **out,
                                     segkit_error *err) {
  if (pattern == NULL || pattern[0] == '\0') {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "empty time format");
  }
  time_op ops[SK_MAX_PATTERN_OPS];
  size_t n_ops = 0;
  unsigned fields = 0;
  bool hour12 = false;
  for (const char *p = pattern; *p != '\0'; p++) {
    if (n_ops == SK_MAX_PATTERN_OPS) {
      return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                              "time format \"%.64s...\" is too long (at most %d elements)",
                              pattern, SK_MAX_PATTERN_OPS);
    }
    time_op op = {OP_LITERAL, *p};
    if (*p == ' ') {
      op.kind = OP_SPACES;
      while (p[1] == ' ') {
        p++;
      }
    } else if (*p == '%') {
      p++;
      if (*p == '\0') {
        return segkit_error_set(err, SEGKIT_ERR_USAGE,
                                "time format \"%s\" ends with a lone %% (expected a "
                                "directive letter, or %%%% for a percent sign)",
                                pattern);
      }
      if (*p == '%') {
        op.byte = '%';
      } else {
        const directive *d = find_directive(*p);
        if (d == NULL) {
          return segkit_error_set(err, SEGKIT_ERR_USAGE,
                                  "time format \"%s\": unknown directive %%%c (expected one "
                                  "of %%Y %%y %%m %%d %%e %%b %%B %%j %%H %%I %%p %%M %%S "
                                  "%%f %%z %%s %%%%)",
                                  pattern, *p);
        }
        if (fields & d->field) {
          return segkit_error_set(err, SEGKIT_ERR_USAGE,
                                  "time format \"%s\": %%%c sets a field given earlier",
                                  pattern, *p);
        }
        fields |= d->field;
        hour12 = hour12 || d->kind == OP_HOUR12;
        op.kind = (unsigned char)d->kind;
      }
    }
    ops[n_ops++] = op;
  }
  segkit_status st = check_fields(pattern, fields, hour12, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  segkit_time_format *fmt = malloc(sizeof *fmt + n_ops * sizeof(time_op));
  if (fmt == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory compiling a time format");
  }
  fmt->has_time =
      (fields & (F_HOUR | F_MINUTE | F_SECOND | F_FRACTION | F_UNIX)) != 0;
  fmt->is_unix = (fields & F_UNIX) != 0;
  fmt->has_yday = (fields & F_YDAY) != 0;
  fmt->twelve_hour = hour12;
  fmt->n_ops = n_ops;
  memcpy(fmt->ops, ops, n_ops * sizeof(time_op));
  *out = fmt;
  return SEGKIT_OK;
}

void segkit_time_format_free(segkit_time_format *fmt) {
  free(fmt);
}

bool segkit_time_format_has_time(const segkit_time_format *fmt) {
  return fmt->has_time;
}

/* ---- parsing a value ------------------------------------------------------------------ */

/* What the ops read; defaults are the start of the year, midnight, UTC. */
typedef struct time_fields {
  int64_t year;
  unsigned month;
  unsigned day;
  unsigned yday;
  unsigned hour;
  unsigned minute;
  unsigned second;
  uint32_t micros;
  int32_t offset;
  bool pm;
  int64_t unix_seconds;
  bool unix_negative;
} time_fields;

/* A cursor over the input span. */
typedef struct cursor {
  const char *s;
  size_t n;
  size_t pos;
} cursor;

static inline unsigned digit_at(const cursor *c, size_t i) {
  return c->pos + i < c->n ? (unsigned)(unsigned char)c->s[c->pos + i] - (unsigned)'0' : 10u;
}

/* Between min_digits and max_digits digits (greedy) into *out. */
static bool read_number(cursor *c, size_t min_digits, size_t max_digits, unsigned *out) {
  unsigned v = 0;
  size_t i = 0;
  while (i < max_digits && digit_at(c, i) <= 9) {
    v = v * 10 + digit_at(c, i);
    i++;
  }
  if (i < min_digits) {
    return false;
  }
  c->pos += i;
  *out = v;
  return true;
}

static inline char ascii_lower(char ch) {
  return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static bool match_word(const cursor *c, const char *word, size_t len) {
  if (c->n - c->pos < len) {
    return false;
  }
  for (size_t i = 0; i < len; i++) {
    if (ascii_lower(c->s[c->pos + i]) != word[i]) {
      return false;
    }
  }
  return true;
}

/* English month name, full or the first three letters, any case. */
static bool read_month_name(cursor *c, unsigned *month) {
  for (unsigned m = 0; m < 12; m++) {
    size_t len = strlen(month_names[m]);
    if (match_word(c, month_names[m], len)) {
      c->pos += len;
      *month = m + 1;
      return true;
    }
  }
  for (unsigned m = 0; m < 12; m++) {
    if (match_word(c, month_names[m], 3)) {
      c->pos += 3;
      *month = m + 1;
      return true;
    }
  }
  return false;
}

static bool read_ampm(cursor *c, bool *pm) {
  if (match_word(c, "am", 2)) {
    *pm = false;
  } else if (match_word(c, "pm", 2)) {
    *pm = true;
  } else {
    return false;
  }
  c->pos += 2;
  return true;
}

static bool read_fraction(cursor *c, uint32_t *micros) {
  static const uint32_t scale[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
  uint32_t v = 0;
  size_t i = 0;
  while (i < 9 && digit_at(c, i) <= 9) {
    if (i < 6) {
      v = v * 10 + digit_at(c, i);
    }
    i++;
  }
  if (i == 0 || digit_at(c, i) <= 9) { /* none, or more than 9 digits */
    return false;
  }
  c->pos += i;
  *micros = v * scale[i < 6 ? i : 6];
  return true;
}

static bool read_unix(cursor *c, time_fields *f) {
  f->unix_negative = c->pos < c->n && c->s[c->pos] == '-';
  if (f->unix_negative) {
    c->pos++;
  }
  int64_t v = 0;
  size_t i = 0;
  while (i < 13 && digit_at(c, i) <= 9) {
    v = v * 10 + digit_at(c, i);
    i++;
  }
  if (i == 0 || i > 12) { /* 12 digits already pass year 9999 */
    return false;
  }
  c->pos += i;
  f->unix_seconds = v;
  return true;
}

static bool run_op(const time_op *op, cursor *c, time_fields *f) {
  unsigned v = 0;
  switch ((op_kind)op->kind) {
  case OP_LITERAL:
    if (c->pos >= c->n || c->s[c->pos] != op->byte) {
      return false;
    }
    c->pos++;
    return true;
  case OP_SPACES:
    if (c->pos >= c->n || c->s[c->pos] != ' ') {
      return false;
    }
    while (c->pos < c->n && c->s[c->pos] == ' ') {
      c->pos++;
    }
    return true;
  case OP_YEAR4:
    if (!read_number(c, 4, 4, &v) || v == 0) {
      return false;
    }
    f->year = v;
    return true;
  case OP_YEAR2: /* POSIX pivot: 69-99 are 1969-1999, 00-68 are 2000-2068 */
    if (!read_number(c, 2, 2, &v)) {
      return false;
    }
    f->year = v >= 69 ? 1900 + v : 2000 + v;
    return true;
  case OP_MONTH:
    return read_number(c, 1, 2, &f->month);
  case OP_MONTH_NAME:
    return read_month_name(c, &f->month);
  case OP_DAY_SPACE:
    if (c->pos < c->n && c->s[c->pos] == ' ') {
      c->pos++;
    }
    return read_number(c, 1, 2, &f->day);
  case OP_DAY:
    return read_number(c, 1, 2, &f->day);
  case OP_YDAY:
    return read_number(c, 1, 3, &f->yday);
  case OP_HOUR24:
  case OP_HOUR12:
    return read_number(c, 1, 2, &f->hour);
  case OP_AMPM:
    return read_ampm(c, &f->pm);
  case OP_MINUTE:
    return read_number(c, 1, 2, &f->minute);
  case OP_SECOND:
    return read_number(c, 1, 2, &f->second);
  case OP_FRACTION:
    return read_fraction(c, &f->micros);
  case OP_OFFSET: {
    size_t used = sk__parse_utc_offset(c->s + c->pos, c->n - c->pos, &f->offset);
    c->pos += used;
    return used > 0;
  }
  case OP_UNIX:
    return read_unix(c, f);
  }
  return false;
}

static bool finish_unix(const time_fields *f, int64_t *us_out) {
  if (f->unix_seconds > SK_MAX_UNIX_SECONDS + 1) {
    return false; /* also keeps the multiplication below far from overflow */
  }
  int64_t us = f->unix_seconds * SEGKIT_US_PER_SEC + f->micros;
  if (f->unix_negative) {
    us = -us;
  }
  if (us < SK_MIN_UNIX_SECONDS * SEGKIT_US_PER_SEC ||
      us > SK_MAX_UNIX_SECONDS * SEGKIT_US_PER_SEC + 999999) {
    return false;
  }
  *us_out = us;
  return true;
}

/* Range checks and the calendar; the ops only read digits. */
static bool finish_civil(const segkit_time_format *fmt, const time_fields *f, int64_t *us_out) {
  int32_t days;
  if (fmt->has_yday) {
    unsigned year_days = sk__days_in_month(f->year, 2) == 29 ? 366 : 365;
    if (f->yday < 1 || f->yday > year_days) {
      return false;
    }
    days = segkit_days_from_civil(f->year, 1, 1) + (int32_t)f->yday - 1;
  } else {
    if (!segkit_date_valid(f->year, f->month, f->day)) {
      return false;
    }
    days = segkit_days_from_civil(f->year, f->month, f->day);
  }
  unsigned hour = f->hour;
  if (fmt->twelve_hour) {
    if (hour < 1 || hour > 12) {
      return false;
    }
    hour = hour % 12 + (f->pm ? 12 : 0);
  }
  if (hour > 23 || f->minute > 59 || f->second > 59) {
    return false;
  }
  int64_t us = sk__civil_to_us(days, hour, f->minute, f->second, f->micros, f->offset);
  if (!sk__us_in_range(us)) {
    return false;
  }
  *us_out = us;
  return true;
}

bool segkit_time_format_parse(const segkit_time_format *fmt, const char *s, size_t n,
                              int64_t *us_out) {
  time_fields f = {.year = 1970, .month = 1, .day = 1};
  cursor c = {s, n, 0};
  for (size_t i = 0; i < fmt->n_ops; i++) {
    if (!run_op(&fmt->ops[i], &c, &f)) {
      return false;
    }
  }
  if (c.pos != n) {
    return false;
  }
  if (fmt->is_unix) {
    return finish_unix(&f, us_out);
  }
  return finish_civil(fmt, &f, us_out);
}
