/* Replies as JSON: bodies, the one error shape, and segkit statuses as HTTP statuses.
 *
 * Every reply the API sends is a JSON document; an error is always
 * {"error": {"code": "...", "message": "..."}} with a stable code a client can switch on and
 * a message for people (the library's own message, which names the field or the rule
 * position at fault). Messages are built with jansson, so escaping is right whatever the
 * user's input held. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

void sk__reply_json(sk_reply *r, unsigned status, json_t *body) {
  sk__reply_clear(r);
  r->status = status;
  r->body = body;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes there are not one. */
static size_t utf8_len(const unsigned char *s) {
  if (s[0] < 0x80) {
    return 1;
  }
  size_t n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
  if (n == 0 || s[0] > 0xF4) {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) {
      return 0;
    }
  }
  /* Overlong three- and four-byte forms, surrogates, and beyond U+10FFFF. */
  if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
      (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)) {
    return 0;
  }
  return n;
}

/* Messages quote what the client sent (a field name, jansson's view of broken JSON), which
 * need not be UTF-8; JSON strings must be, so each invalid byte becomes '?'. */
static void make_utf8(char *text) {
  unsigned char *p = (unsigned char *)text;
  while (*p != '\0') {
    size_t n = utf8_len(p);
    if (n == 0) {
      *p++ = '?';
    } else {
      p += n;
    }
  }
}

static void reply_error_text(sk_reply *r, unsigned status, const char *code,
                             const char *message) {
  json_t *body = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
  if (body == NULL) {
    char clean[1200];
    snprintf(clean, sizeof clean, "%s", message);
    make_utf8(clean);
    body = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", clean);
  }
  sk__reply_json(r, status, body);
}

void sk__reply_error(sk_reply *r, unsigned status, const char *code, const char *fmt, ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  reply_error_text(r, status, code, message);
}

void sk__reply_from_error(sk_reply *r, const segkit_error *err) {
  unsigned status = 500;
  const char *code = "internal";
  switch (err->code) {
  case SEGKIT_ERR_NOT_FOUND:
    status = 404;
    code = "not_found";
    break;
  case SEGKIT_ERR_EXISTS:
    status = 409;
    code = "conflict";
    break;
  case SEGKIT_ERR_USAGE:
  case SEGKIT_ERR_SCHEMA:
    status = 400;
    code = "bad_request";
    break;
  case SEGKIT_ERR_PARSE:
  case SEGKIT_ERR_TYPE:
    status = 400;
    code = "invalid_rule";
    break;
  case SEGKIT_ERR_LIMIT:
    status = 413;
    code = "too_large";
    break;
  case SEGKIT_ERR_STORE:
  case SEGKIT_ERR_IO:
    status = 503;
    code = "workspace_unavailable";
    break;
  default:
    break;
  }
  char message[1200];
  segkit_error_format(err, message, sizeof message);
  reply_error_text(r, status, code, message);
}

char *sk__reply_text(const sk_reply *r, size_t *len) {
  if (r->body == NULL) {
    return NULL;
  }
  char *text = json_dumps(r->body, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (text != NULL) {
    *len = strlen(text);
  }
  return text;
}

void sk__reply_stream(sk_reply *r, unsigned status, const char *content_type, sk_stream_fn fn,
                      void *ctx, void (*free_fn)(void *ctx)) {
  sk__reply_clear(r);
  r->status = status;
  r->content_type = content_type;
  r->stream = fn;
  r->stream_ctx = ctx;
  r->stream_free = free_fn;
}

void sk__reply_clear(sk_reply *r) {
  json_decref(r->body);
  if (r->stream_free != NULL) {
    r->stream_free(r->stream_ctx);
  }
  memset(r, 0, sizeof *r);
}
