/* Diagnostics for rules: every error names the place as "rule:LINE:COL: message
 * (expected ...)" and, for people, the rule's line with carets under the offending token.
 * Suggestions ("did you mean 'plan'?") come from the optimal-string-alignment edit
 * distance (Levenshtein plus adjacent transpositions, so "palnn" is 2 from "plan"),
 * accepted within 1 edit for names of 1-2 characters, 2 up to 8 and 3 beyond. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "segment/segment_int.h"

static void line_col(const char *text, size_t len, uint32_t pos, int *line, int *col,
                     size_t *line_start) {
  int l = 1;
  size_t start = 0;
  for (size_t i = 0; i < pos && i < len; i++) {
    if (text[i] == '\n') {
      l++;
      start = i + 1;
    }
  }
  *line = l;
  *col = (int)(pos - start) + 1;
  *line_start = start;
}

static void fill_excerpt(sk__ctx *cx, size_t line_start, uint32_t pos, uint32_t len) {
  segkit_rule_diag *d = cx->diag;
  size_t end = line_start;
  while (end < cx->text_len && cx->text[end] != '\n') {
    end++;
  }
  size_t cap = sizeof d->excerpt;
  size_t line_len = end - line_start;
  /* Leave room for the caret line: a long line is cut (the caret may then be cut too). */
  size_t max_line = (cap - 2) / 2;
  if (line_len > max_line) {
    line_len = max_line;
  }
  size_t o = 0;
  for (size_t i = 0; i < line_len; i++) {
    char ch = cx->text[line_start + i];
    d->excerpt[o++] = ch == '\t' ? ' ' : ch;
  }
  d->excerpt[o++] = '\n';
  size_t caret_at = pos - line_start;
  size_t n_caret = len > 0 ? len : 1;
  for (size_t i = 0; i < caret_at + n_caret && o + 1 < cap; i++) {
    d->excerpt[o++] = i < caret_at ? ' ' : '^';
  }
  d->excerpt[o] = '\0';
}

segkit_status sk__fail(sk__ctx *cx, segkit_status code, uint32_t pos, uint32_t len,
                       const char *fmt, ...) {
  if (pos > cx->text_len) {
    pos = (uint32_t)cx->text_len;
  }
  int line = 0;
  int col = 0;
  size_t line_start = 0;
  line_col(cx->text, cx->text_len, pos, &line, &col, &line_start);
  /* A token never spans lines in the caret: cut at the end of its line. */
  uint32_t shown = len;
  for (uint32_t i = 0; i < len && pos + i < cx->text_len; i++) {
    if (cx->text[pos + i] == '\n') {
      shown = i;
      break;
    }
  }
  char msg[640];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  segkit_error_set(cx->err, code, "rule:%d:%d: %s", line, col, msg);
  if (cx->err != NULL) {
    cx->err->line = line;
    cx->err->column = col;
  }
  if (cx->diag != NULL) {
    cx->diag->line = line;
    cx->diag->column = col;
    cx->diag->length = (int)(shown > 0 ? shown : 1);
    fill_excerpt(cx, line_start, pos, shown);
  }
  return code;
}

size_t sk__edit_distance(const char *a, size_t na, const char *b, size_t nb, size_t cap) {
  if (na > 64 || nb > 64) {
    return cap + 1;
  }
  size_t diff = na > nb ? na - nb : nb - na;
  if (diff > cap) {
    return cap + 1;
  }
  /* Three rows of the DP table: OSA needs the row two back for transpositions. */
  size_t r0[65], r1[65], r2[65];
  size_t *prev2 = r0, *prev = r1, *cur = r2;
  for (size_t j = 0; j <= nb; j++) {
    prev[j] = j;
  }
  for (size_t i = 1; i <= na; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= nb; j++) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = prev[j] + 1;
      if (cur[j - 1] + 1 < best) {
        best = cur[j - 1] + 1;
      }
      if (prev[j - 1] + cost < best) {
        best = prev[j - 1] + cost;
      }
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          prev2[j - 2] + 1 < best) {
        best = prev2[j - 2] + 1;
      }
      cur[j] = best;
    }
    size_t *t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[nb] > cap ? cap + 1 : prev[nb];
}

void sk__suggest_init(sk__suggest *s, const char *name, size_t len) {
  s->name = name;
  s->len = len;
  s->best = NULL;
  /* 1 edit for names of 1-2 characters, 2 up to 8 ("palnn" -> "plan"), 3 beyond. */
  size_t cap = len < 3 ? 1 : len <= 8 ? 2 : 3;
  s->best_dist = cap + 1;
}

void sk__suggest_offer(sk__suggest *s, const char *candidate) {
  if (candidate == NULL) {
    return;
  }
  size_t d = sk__edit_distance(s->name, s->len, candidate, strlen(candidate), s->best_dist - 1);
  if (d < s->best_dist) {
    s->best = candidate;
    s->best_dist = d;
  }
}
