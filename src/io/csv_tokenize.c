/* CSV tokenizer: splits one row into field spans.
 *
 * Design: instead of looking at every byte, a scanner compares 64 bytes at a time with the
 * three bytes that matter (delimiter, quote, LF) and keeps the matches as a 64-bit mask;
 * the tokenizer then jumps from special byte to special byte with count-trailing-zeros.
 * Field lengths vary from row to row, so a byte loop would mispredict a branch at every
 * field end; here the only data-dependent branch is on the kind of special byte, which
 * follows the regular delimiter, delimiter, ..., LF pattern of a row. The same window
 * load gives the high-bit mask for free, so pure-ASCII rows skip UTF-8 validation.
 * SSE2 is the x86-64 baseline, so there is no dispatch: a 64-byte AVX-512 window was
 * measured at the same 2 GB/s for tokenizing alone (the per-row work, not the compares,
 * bounds it, on the 2-vCPU AMD EPYC of DESIGN.md), so it was not worth a second path.
 *
 * The state machine is RFC 4180: a quote opens a quoted field only at the field start; in
 * a quoted field "" is a quote and a lone quote closes it; after the closing quote only a
 * delimiter, CRLF, LF or the end may follow. A quote anywhere else (inside an unquoted
 * field, or text after a closing quote) makes the row BAD_QUOTE but is otherwise taken
 * literally, so the damage stays in that row: a rule like "a LF ends the row iff an
 * even number of quotes precede it" would let one stray quote swallow every following
 * line up to the next stray quote. Only a quote that opens a field and is never closed
 * runs to the end of the input, as RFC 4180 says it must. */
#include <string.h>

#include "io/io_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ==== scanner =========================================================================== */

/* Special-byte mask and high-bit mask of the 64 bytes at p. */
static inline uint64_t window_masks(const uint8_t *p, uint8_t delim, uint8_t quote,
                                    uint64_t *hi_out) {
#if defined(__SSE2__)
  const __m128i vd = _mm_set1_epi8((char)delim);
  const __m128i vq = _mm_set1_epi8((char)quote);
  const __m128i vn = _mm_set1_epi8('\n');
  uint64_t m = 0;
  uint64_t hi = 0;
  for (int k = 0; k < 4; k++) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
    __m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vd), _mm_cmpeq_epi8(v, vq)),
                             _mm_cmpeq_epi8(v, vn));
    m |= (uint64_t)(uint32_t)_mm_movemask_epi8(e) << (16 * k);
    hi |= (uint64_t)(uint32_t)_mm_movemask_epi8(v) << (16 * k);
  }
  *hi_out = hi;
  return m;
#else
  uint64_t m = 0;
  uint64_t hi = 0;
  for (int k = 0; k < 64; k++) {
    uint8_t c = p[k];
    uint64_t bit = UINT64_C(1) << k;
    if (c == delim || c == quote || c == '\n') {
      m |= bit;
    }
    if (c >= 0x80) {
      hi |= bit;
    }
  }
  *hi_out = hi;
  return m;
#endif
}

static inline void load_window(sk__scanner *sc) {
  uint64_t hi;
  uint64_t m = window_masks(sc->buf + sc->base, sc->delim, sc->quote, &hi);
  size_t left = sc->len - sc->base;
  if (left < 64) {
    uint64_t keep = (UINT64_C(1) << left) - 1;
    m &= keep;
    hi &= keep;
  }
  if (hi != 0) {
    sc->hi_end = sc->base + 64;
  }
  sc->mask = m;
}

void sk__scanner_init(sk__scanner *sc, uint8_t delim, uint8_t quote) {
  memset(sc, 0, sizeof *sc);
  sc->delim = delim;
  sc->quote = quote;
}

void sk__scanner_reset(sk__scanner *sc, const uint8_t *buf, size_t len, size_t at) {
  sc->buf = buf;
  sc->len = len;
  sc->base = at;
  sc->hi_end = 0;
  sc->mask = 0;
  if (at < len) {
    load_window(sc);
  }
}

/* Offset of the next special byte, or len when there is none before the end. */
static inline size_t next_special(sk__scanner *sc) {
  while (sc->mask == 0) {
    size_t next = sc->base + 64;
    if (next >= sc->len) {
      return sc->len;
    }
    sc->base = next;
    load_window(sc);
  }
  size_t p = sc->base + (size_t)__builtin_ctzll(sc->mask);
  sc->mask &= sc->mask - 1;
  return p;
}

/* ==== row tokenizer ===================================================================== */

enum field_state { ST_UNQUOTED, ST_IN_QUOTES, ST_AFTER_CLOSE };

typedef struct row_builder {
  size_t start;           /* row start in the buffer */
  sk__field *fields;
  size_t cap;
  size_t n;
  size_t max_field;
  int problem;
  int detail;
  size_t problem_off;     /* buffer offset */
} row_builder;

static inline void flag(row_builder *rb, int reason, int detail, size_t at) {
  if (rb->problem < 0) {
    rb->problem = reason;
    rb->detail = detail;
    rb->problem_off = at;
  }
}

static inline void emit(row_builder *rb, size_t fs, size_t vs, size_t ve, unsigned flags) {
  if (rb->n < rb->cap) {
    sk__field *f = &rb->fields[rb->n];
    f->off = vs - rb->start;
    f->len = ve - vs;
    f->raw_off = fs - rb->start;
    f->flags = flags;
  }
  if (ve - vs > rb->max_field) {
    flag(rb, SEGKIT_REJECT_FIELD_TOO_LONG, SK__QUOTE_OK, fs);
  }
  rb->n++;
}

sk__tok_result sk__tokenize_row(sk__scanner *scanner, size_t start, bool eof, size_t max_field,
                                sk__field *fields, size_t field_cap, sk__row *row,
                                size_t *next) {
  /* Work on a local copy: stores to `fields` could alias the scanner in memory (the build
   * uses -fno-strict-aliasing), which would force the mask back to memory at every
   * field; a local whose address does not escape lives in registers. */
  sk__scanner local = *scanner;
  sk__scanner *sc = &local;
  const uint8_t *buf = sc->buf;
  const size_t len = sc->len;
  const uint8_t delim = sc->delim;
  const uint8_t quote = sc->quote;
  row_builder rb = {start, fields, field_cap, 0, max_field, -1, SK__QUOTE_OK, 0};
  size_t fs = start;          /* current field start */
  enum field_state st = ST_UNQUOTED;
  bool quoted = false;        /* current field opened with a quote */
  bool escaped = false;       /* ... and holds doubled quotes */
  size_t close_pos = 0;       /* closing quote of the current field */
  int64_t newlines = 0;
  size_t line_end;            /* end of the row's bytes, without the terminator */
  size_t row_end;             /* after the terminator */
  for (;;) {
    size_t p = next_special(sc);
    if (p >= len) {
      if (!eof) {
        *scanner = local;
        return SK__TOK_NEED_MORE;
      }
      /* The last row of the input, without a terminator. */
      line_end = len;
      if (line_end > fs && buf[line_end - 1] == '\r' && st != ST_IN_QUOTES) {
        line_end--;
      }
      row_end = len;
      if (st == ST_IN_QUOTES) {
        flag(&rb, SEGKIT_REJECT_BAD_QUOTE, SK__QUOTE_UNCLOSED, fs); /* opened, never closed */
        emit(&rb, fs, fs, len, 0);
      } else if (st == ST_AFTER_CLOSE) {
        if (close_pos + 1 != line_end) {
          flag(&rb, SEGKIT_REJECT_BAD_QUOTE, SK__QUOTE_AFTER_CLOSE, close_pos + 1);
        }
        emit(&rb, fs, fs + 1, close_pos, SK__FIELD_QUOTED | (escaped ? SK__FIELD_ESCAPED : 0u));
      } else {
        emit(&rb, fs, fs, line_end, 0);
      }
      break;
    }
    uint8_t c = buf[p];
    if (st == ST_IN_QUOTES) {
      if (c == quote) {
        if (p + 1 < len) {
          if (buf[p + 1] == quote) {
            escaped = true;
            (void)next_special(sc); /* the second quote of the pair, at p + 1 */
            continue;
          }
        } else if (!eof) {
          *scanner = local;
          return SK__TOK_NEED_MORE; /* cannot tell "" from " yet */
        }
        st = ST_AFTER_CLOSE;
        close_pos = p;
      } else if (c == '\n') {
        newlines++;
      }
      continue;
    }
    if (st == ST_AFTER_CLOSE && (p != close_pos + 1 || c == quote) &&
        !(c == '\n' && p == close_pos + 2 && buf[close_pos + 1] == '\r')) {
      /* Text after the closing quote: the field is bad; read on as unquoted text. */
      flag(&rb, SEGKIT_REJECT_BAD_QUOTE, SK__QUOTE_AFTER_CLOSE, close_pos + 1);
      st = ST_UNQUOTED;
      quoted = false;
    }
    if (c == quote) {
      if (p == fs && st == ST_UNQUOTED) {
        st = ST_IN_QUOTES;
        quoted = true;
      } else {
        flag(&rb, SEGKIT_REJECT_BAD_QUOTE, SK__QUOTE_STRAY, p); /* inside an unquoted field */
      }
      continue;
    }
    /* A delimiter or LF ends the field. */
    if (quoted) {
      emit(&rb, fs, fs + 1, close_pos, SK__FIELD_QUOTED | (escaped ? SK__FIELD_ESCAPED : 0u));
    } else {
      size_t ve = p;
      if (c == '\n' && ve > fs && buf[ve - 1] == '\r') {
        ve--;
      }
      emit(&rb, fs, fs, ve, 0);
    }
    if (c == delim) {
      fs = p + 1;
      st = ST_UNQUOTED;
      quoted = false;
      escaped = false;
      continue;
    }
    newlines++;
    line_end = p;
    if (line_end > start && buf[line_end - 1] == '\r') {
      line_end--;
    }
    row_end = p + 1;
    break;
  }
  row->raw = buf + start;
  row->raw_len = line_end - start;
  row->n_newlines = newlines;
  row->n_fields = rb.n;
  row->fields = fields;
  row->problem = rb.problem;
  row->quote_problem = rb.detail;
  row->problem_off = rb.problem >= 0 ? rb.problem_off - start : 0;
  row->truncated_raw = false;
  row->maybe_non_ascii = sc->hi_end > start;
  *scanner = local;
  *next = row_end;
  return SK__TOK_ROW;
}

size_t sk__skip_row_bytes(const uint8_t *s, size_t n, int delim, int quote, int *state,
                          int64_t *newlines) {
  /* The tokenizer's state machine, on bytes: 0 field start, 1 unquoted text, 2 in quotes,
   * 3 a quote seen in quotes (closing, or the first of ""). */
  int st = *state;
  for (size_t i = 0; i < n; i++) {
    int c = s[i];
    if (c == '\n') {
      (*newlines)++;
      if (st != 2) {
        *state = 0;
        return i + 1;
      }
      continue;
    }
    switch (st) {
      case 0:
        st = c == quote ? 2 : c == delim ? 0 : 1;
        break;
      case 1:
        st = c == delim ? 0 : 1;
        break;
      case 2:
        st = c == quote ? 3 : 2;
        break;
      default:
        st = c == quote ? 2 : c == delim ? 0 : 1;
        break;
    }
  }
  *state = st;
  return SIZE_MAX;
}
