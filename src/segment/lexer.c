/* Lexer of the rule language: the whole rule becomes an array of tokens up front (rules
 * are at most 64 KiB), so the parser can look ahead freely. Numbers followed directly by a
 * unit letter are durations (30d, 12h, 6mo); identifiers that are keywords (and, or, not,
 * in, between, is, null, true, false, any case) become keyword tokens; `backticks` quote a
 * field name that is not an identifier ("ph.ecog" is a string, `ph.ecog` a field). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segment/segment_int.h"

typedef struct lexer {
  sk__ctx *cx;
  sk__token *toks;
  size_t n, cap;
} lexer;

static bool push(lexer *lx, sk__token t) {
  if (lx->n == lx->cap) {
    size_t cap = lx->cap == 0 ? 64 : lx->cap * 2;
    sk__token *fresh = sk__arena_alloc(&lx->cx->arena, cap * sizeof *fresh);
    if (fresh == NULL) {
      return false;
    }
    if (lx->n > 0) {
      memcpy(fresh, lx->toks, lx->n * sizeof *fresh);
    }
    lx->toks = fresh;
    lx->cap = cap;
  }
  lx->toks[lx->n++] = t;
  return true;
}

static bool ident_start(char c) {
  return isalpha((unsigned char)c) || c == '_';
}

static bool ident_char(char c) {
  return isalnum((unsigned char)c) || c == '_';
}

static bool word_is(const char *s, size_t n, const char *kw) {
  size_t k = strlen(kw);
  if (n != k) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    if (tolower((unsigned char)s[i]) != kw[i]) {
      return false;
    }
  }
  return true;
}

static sk__tok_kind keyword(const char *s, size_t n) {
  static const struct {
    const char *word;
    sk__tok_kind kind;
  } kws[] = {{"and", SK__TK_AND},         {"or", SK__TK_OR},     {"not", SK__TK_NOT},
             {"in", SK__TK_IN},           {"between", SK__TK_BETWEEN},
             {"is", SK__TK_IS},           {"null", SK__TK_NULL}, {"true", SK__TK_TRUE},
             {"false", SK__TK_FALSE}};
  for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++) {
    if (word_is(s, n, kws[i].word)) {
      return kws[i].kind;
    }
  }
  return SK__TK_IDENT;
}

/* Duration units: exact ones in microseconds, calendar ones in months. */
static bool duration_unit(const char *u, size_t n, int64_t *us, int64_t *months) {
  static const struct {
    const char *unit;
    int64_t us;
    int64_t months;
  } units[] = {{"s", SEGKIT_US_PER_SEC, 0},
               {"min", 60 * SEGKIT_US_PER_SEC, 0},
               {"h", 3600 * SEGKIT_US_PER_SEC, 0},
               {"d", SEGKIT_US_PER_DAY, 0},
               {"w", 7 * SEGKIT_US_PER_DAY, 0},
               {"mo", 0, 1},
               {"y", 0, 12}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (n == strlen(units[i].unit) && memcmp(u, units[i].unit, n) == 0) {
      *us = units[i].us;
      *months = units[i].months;
      return true;
    }
  }
  return false;
}

static segkit_status lex_number(lexer *lx, size_t *i) {
  const char *t = lx->cx->text;
  size_t len = lx->cx->text_len;
  size_t start = *i;
  size_t j = start;
  bool is_float = false;
  while (j < len && isdigit((unsigned char)t[j])) {
    j++;
  }
  if (j + 1 < len && t[j] == '.' && isdigit((unsigned char)t[j + 1])) {
    is_float = true;
    j++;
    while (j < len && isdigit((unsigned char)t[j])) {
      j++;
    }
  }
  if (j < len && (t[j] == 'e' || t[j] == 'E')) {
    size_t k = j + 1;
    if (k < len && (t[k] == '+' || t[k] == '-')) {
      k++;
    }
    if (k < len && isdigit((unsigned char)t[k])) {
      is_float = true;
      j = k;
      while (j < len && isdigit((unsigned char)t[j])) {
        j++;
      }
    }
  }
  char buf[64];
  size_t nlen = j - start;
  if (nlen >= sizeof buf) {
    return sk__fail(lx->cx, SEGKIT_ERR_PARSE, (uint32_t)start, (uint32_t)nlen,
                    "number too long (expected at most 63 characters)");
  }
  memcpy(buf, t + start, nlen);
  buf[nlen] = '\0';
  sk__token tok = {.pos = (uint32_t)start};
  size_t u = j;
  while (u < len && ident_char(t[u])) {
    u++;
  }
  if (u > j) {
    int64_t unit_us = 0;
    int64_t unit_months = 0;
    if (is_float || !duration_unit(t + j, u - j, &unit_us, &unit_months)) {
      return sk__fail(lx->cx, SEGKIT_ERR_PARSE, (uint32_t)j, (uint32_t)(u - j),
                      "unknown duration unit '%.*s' (expected s, min, h, d, w, mo or y "
                      "after a whole number)",
                      (int)(u - j), t + j);
    }
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    int64_t scale = unit_months != 0 ? unit_months : unit_us;
    /* Bound durations to 100 000 years so date arithmetic cannot overflow. */
    if (errno != 0 || v > INT64_C(3153600000000000000) / scale ||
        (unit_months != 0 && v > 1200000)) {
      return sk__fail(lx->cx, SEGKIT_ERR_PARSE, (uint32_t)start, (uint32_t)(u - start),
                      "duration out of range (expected at most 100000 years)");
    }
    tok.kind = SK__TK_DURATION;
    tok.i = unit_months != 0 ? 0 : (int64_t)v * unit_us;
    tok.months = unit_months != 0 ? (int64_t)v * unit_months : 0;
    tok.len = (uint32_t)(u - start);
    *i = u;
    return push(lx, tok) ? SEGKIT_OK : segkit_error_set(lx->cx->err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  if (is_float) {
    tok.kind = SK__TK_FLOAT;
    tok.f = strtod(buf, NULL);
    if (isinf(tok.f)) {
      /* SQL has no portable literal for infinity, and no rule needs one. */
      return sk__fail(lx->cx, SEGKIT_ERR_PARSE, (uint32_t)start, (uint32_t)nlen,
                      "number out of range (expected at most 1.7976931348623157e308)");
    }
  } else {
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    if (errno != 0) {
      return sk__fail(lx->cx, SEGKIT_ERR_PARSE, (uint32_t)start, (uint32_t)nlen,
                      "integer out of range (expected at most 9223372036854775807)");
    }
    tok.kind = SK__TK_INT;
    tok.i = (int64_t)v;
  }
  tok.len = (uint32_t)nlen;
  *i = j;
  return push(lx, tok) ? SEGKIT_OK : segkit_error_set(lx->cx->err, SEGKIT_ERR_NOMEM, "out of memory");
}

/* "..." with escapes \" \\ \n \t \r; `...` (no escapes but `` for a backtick). */
static segkit_status lex_quoted(lexer *lx, size_t *i, char quote) {
  const char *t = lx->cx->text;
  size_t len = lx->cx->text_len;
  size_t start = *i;
  char *out = sk__arena_alloc(&lx->cx->arena, len - start + 1);
  if (out == NULL) {
    return segkit_error_set(lx->cx->err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  size_t o = 0;
  size_t j = start + 1;
  for (;;) {
    if (j >= len || (quote == '`' && t[j] == '\n')) {
      return sk__fail(lx->cx, SEGKIT_ERR_PARSE, (uint32_t)start, 1,
                      quote == '"' ? "unterminated string (expected a closing \")"
                                   : "unterminated quoted name (expected a closing `)");
    }
    char c = t[j];
    if (c == quote) {
      if (quote == '`' && j + 1 < len && t[j + 1] == '`') {
        out[o++] = '`';
        j += 2;
        continue;
      }
      j++;
      break;
    }
    if (c == '\\' && quote == '"') {
      char e = j + 1 < len ? t[j + 1] : '\0';
      char v;
      switch (e) {
      case '"': v = '"'; break;
      case '\\': v = '\\'; break;
      case 'n': v = '\n'; break;
      case 't': v = '\t'; break;
      case 'r': v = '\r'; break;
      default:
        return sk__fail(lx->cx, SEGKIT_ERR_PARSE, (uint32_t)j, j + 1 < len ? 2 : 1,
                        "unknown escape in string (expected \\\" \\\\ \\n \\t or \\r)");
      }
      out[o++] = v;
      j += 2;
      continue;
    }
    out[o++] = c;
    j++;
  }
  out[o] = '\0';
  sk__token tok = {.kind = quote == '"' ? SK__TK_STRING : SK__TK_QIDENT,
                   .pos = (uint32_t)start,
                   .len = (uint32_t)(j - start),
                   .text = out,
                   .text_len = o};
  if (quote == '`' && o == 0) {
    return sk__fail(lx->cx, SEGKIT_ERR_PARSE, (uint32_t)start, tok.len,
                    "empty quoted name (expected a field name between the backticks)");
  }
  *i = j;
  return push(lx, tok) ? SEGKIT_OK : segkit_error_set(lx->cx->err, SEGKIT_ERR_NOMEM, "out of memory");
}

static segkit_status lex_operator(lexer *lx, size_t *i) {
  const char *t = lx->cx->text;
  size_t len = lx->cx->text_len;
  size_t j = *i;
  char c = t[j];
  char d = j + 1 < len ? t[j + 1] : '\0';
  sk__token tok = {.pos = (uint32_t)j, .len = 1};
  switch (c) {
  case '(': tok.kind = SK__TK_LPAREN; break;
  case ')': tok.kind = SK__TK_RPAREN; break;
  case ',': tok.kind = SK__TK_COMMA; break;
  case '.': tok.kind = SK__TK_DOT; break;
  case '+': tok.kind = SK__TK_PLUS; break;
  case '-': tok.kind = SK__TK_MINUS; break;
  case '*': tok.kind = SK__TK_STAR; break;
  case '/': tok.kind = SK__TK_SLASH; break;
  case '=':
    tok.kind = SK__TK_EQ;
    tok.len = d == '=' ? 2 : 1;
    break;
  case '!':
    if (d != '=') {
      return sk__fail(lx->cx, SEGKIT_ERR_PARSE, (uint32_t)j, 1,
                      "unexpected '!' (expected != or the keyword not)");
    }
    tok.kind = SK__TK_NE;
    tok.len = 2;
    break;
  case '<':
    if (d == '=') {
      tok.kind = SK__TK_LE;
      tok.len = 2;
    } else if (d == '>') {
      tok.kind = SK__TK_NE;
      tok.len = 2;
    } else {
      tok.kind = SK__TK_LT;
    }
    break;
  case '>':
    tok.kind = d == '=' ? SK__TK_GE : SK__TK_GT;
    tok.len = d == '=' ? 2 : 1;
    break;
  default:
    if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f) {
      return sk__fail(lx->cx, SEGKIT_ERR_PARSE, (uint32_t)j, 1,
                      "unexpected byte 0x%02x (expected an expression)", (unsigned char)c);
    }
    return sk__fail(lx->cx, SEGKIT_ERR_PARSE, (uint32_t)j, 1,
                    "unexpected character '%c' (expected an expression)", c);
  }
  *i = j + tok.len;
  return push(lx, tok) ? SEGKIT_OK : segkit_error_set(lx->cx->err, SEGKIT_ERR_NOMEM, "out of memory");
}

segkit_status sk__lex(sk__ctx *cx, sk__token **out, size_t *n_out) {
  lexer lx = {.cx = cx};
  const char *t = cx->text;
  size_t len = cx->text_len;
  size_t i = 0;
  while (i < len) {
    char c = t[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      i++;
      continue;
    }
    if (c == '#') {
      /* Comment to the end of the line. */
      while (i < len && t[i] != '\n') {
        i++;
      }
      continue;
    }
    segkit_status s;
    if (isdigit((unsigned char)c)) {
      s = lex_number(&lx, &i);
    } else if (ident_start(c)) {
      size_t j = i;
      while (j < len && ident_char(t[j])) {
        j++;
      }
      sk__token tok = {.kind = keyword(t + i, j - i), .pos = (uint32_t)i, .len = (uint32_t)(j - i)};
      tok.text = sk__arena_strndup(&cx->arena, t + i, j - i);
      tok.text_len = j - i;
      if (tok.text == NULL || !push(&lx, tok)) {
        return segkit_error_set(cx->err, SEGKIT_ERR_NOMEM, "out of memory");
      }
      i = j;
      s = SEGKIT_OK;
    } else if (c == '"' || c == '`') {
      s = lex_quoted(&lx, &i, c);
    } else if (c == '\'') {
      s = sk__fail(cx, SEGKIT_ERR_PARSE, (uint32_t)i, 1,
                   "unexpected ' (expected \"...\" for a string or `...` for a field name)");
    } else {
      s = lex_operator(&lx, &i);
    }
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  sk__token eof = {.kind = SK__TK_EOF, .pos = (uint32_t)len, .len = 0};
  if (!push(&lx, eof)) {
    return segkit_error_set(cx->err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  *out = lx.toks;
  *n_out = lx.n;
  return SEGKIT_OK;
}
