/* Rejected rows: per-region lists while reading, and the small text helpers their
 * messages use.
 *
 * Each reader thread appends its rejects to its own list, so no locking; records hold
 * offsets into one growing byte pool (message, then raw bytes) instead of pointers, so
 * the pool can be reallocated freely and the result can copy every list into one block
 * at the end (read_result.c). Line numbers stay relative to the region until the region
 * runner knows where each region starts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"

void sk__reject_list_free(sk__reject_list *l) {
  free(l->v);
  free(l->pool);
  memset(l, 0, sizeof *l);
}

void sk__reject_list_clear(sk__reject_list *l) {
  l->n = 0;
  l->pool_len = 0;
}

static bool pool_reserve(sk__reject_list *l, size_t extra) {
  if (l->pool_cap - l->pool_len >= extra) {
    return true;
  }
  size_t cap = l->pool_cap < 4096 ? 4096 : l->pool_cap;
  while (cap - l->pool_len < extra) {
    if (cap > SIZE_MAX / 2) {
      return false;
    }
    cap *= 2;
  }
  char *p = realloc(l->pool, cap);
  if (p == NULL) {
    return false;
  }
  l->pool = p;
  l->pool_cap = cap;
  return true;
}

segkit_status sk__reject_list_add(sk__reject_list *l, const sk__reject_rec *rec,
                                  const char *msg, size_t msg_len, const void *raw,
                                  size_t raw_len) {
  if (l->n == l->cap) {
    size_t cap = l->cap == 0 ? 16 : l->cap * 2;
    sk__reject_rec *v = realloc(l->v, cap * sizeof *v);
    if (v == NULL) {
      return SEGKIT_ERR_NOMEM;
    }
    l->v = v;
    l->cap = cap;
  }
  /* Both strings NUL-terminated in the pool, so the result can hand out C strings. */
  if (!pool_reserve(l, msg_len + raw_len + 2)) {
    return SEGKIT_ERR_NOMEM;
  }
  sk__reject_rec *r = &l->v[l->n++];
  *r = *rec;
  r->msg_off = l->pool_len;
  r->msg_len = msg_len;
  memcpy(l->pool + l->pool_len, msg, msg_len);
  l->pool_len += msg_len;
  l->pool[l->pool_len++] = '\0';
  r->raw_off = l->pool_len;
  r->raw_len = raw_len;
  if (raw_len > 0) {
    memcpy(l->pool + l->pool_len, raw, raw_len);
  }
  l->pool_len += raw_len;
  l->pool[l->pool_len++] = '\0';
  return SEGKIT_OK;
}

segkit_status sk__reject_status(segkit_reject_reason r) {
  switch (r) {
    case SEGKIT_REJECT_BAD_VALUE:
      return SEGKIT_ERR_TYPE;
    case SEGKIT_REJECT_FIELD_TOO_LONG:
      return SEGKIT_ERR_LIMIT;
    case SEGKIT_REJECT_UNKNOWN_FIELD:
    case SEGKIT_REJECT_TOO_FEW_FIELDS:
    case SEGKIT_REJECT_TOO_MANY_FIELDS:
      return SEGKIT_ERR_SCHEMA;
    default:
      return SEGKIT_ERR_PARSE;
  }
}

size_t sk__quote_value(char *dst, size_t size, const char *s, size_t n, size_t max_bytes) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  if (size == 0) {
    return 0;
  }
  bool cut = false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (i >= max_bytes) {
      cut = true;
      break;
    }
    char esc[5];
    size_t k = 0;
    size_t seq = 1;
    if (c >= 0x80) {
      /* Whole valid sequences are copied; other bytes are escaped, so messages are
       * always valid UTF-8 (they end up in JSON and in the workspace). */
      seq = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      if (seq == 1 || i + seq > n || sk__utf8_find_invalid((const uint8_t *)s + i, seq) != seq) {
        seq = 1;
        esc[k++] = '\\';
        esc[k++] = 'x';
        esc[k++] = hex[c >> 4];
        esc[k++] = hex[c & 15];
      } else {
        memcpy(esc, s + i, seq);
        k = seq;
      }
    } else if (c == '"' || c == '\\') {
      esc[k++] = '\\';
      esc[k++] = (char)c;
    } else if (c == '\n') {
      esc[k++] = '\\';
      esc[k++] = 'n';
    } else if (c == '\r') {
      esc[k++] = '\\';
      esc[k++] = 'r';
    } else if (c == '\t') {
      esc[k++] = '\\';
      esc[k++] = 't';
    } else if (c < 0x20 || c == 0x7f) {
      esc[k++] = '\\';
      esc[k++] = 'x';
      esc[k++] = hex[c >> 4];
      esc[k++] = hex[c & 15];
    } else {
      esc[k++] = (char)c;
    }
    if (o + k + 4 >= size) {
      cut = true;
      break;
    }
    memcpy(dst + o, esc, k);
    o += k;
    i += seq - 1;
  }
  if (cut && o + 3 < size) {
    memcpy(dst + o, "...", 3);
    o += 3;
  }
  dst[o] = '\0';
  return o;
}

void sk__row_position(const uint8_t *raw, size_t off, int64_t *column, int64_t *line_delta) {
  size_t line_start = 0;
  int64_t lines = 0;
  for (size_t i = 0; i < off; i++) {
    if (raw[i] == '\n') {
      lines++;
      line_start = i + 1;
    }
  }
  *column = (int64_t)(off - line_start) + 1;
  *line_delta = lines;
}
