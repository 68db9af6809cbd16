/* Bump allocator for everything one parse of a rule creates (tokens, decoded strings,
 * AST nodes), freed in one call with the rule. Chunks grow geometrically; a rule is at
 * most 64 KiB of text, so the arena stays small. */
#include <stdlib.h>
#include <string.h>

#include "segment/segment_int.h"

struct sk__arena_chunk {
  sk__arena_chunk *next;
  size_t used, cap;
  max_align_t data[];
};

void *sk__arena_alloc(sk__arena *a, size_t n) {
  size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
  if (need == 0) {
    need = sizeof(max_align_t);
  }
  sk__arena_chunk *c = a->head;
  if (c == NULL || c->cap - c->used < need) {
    size_t cap = c != NULL ? c->cap * 2 : 8192;
    if (cap < need) {
      cap = need;
    }
    sk__arena_chunk *fresh = malloc(sizeof *fresh + cap);
    if (fresh == NULL) {
      return NULL;
    }
    fresh->next = c;
    fresh->used = 0;
    fresh->cap = cap;
    a->head = fresh;
    c = fresh;
  }
  void *p = (char *)c->data + c->used;
  c->used += need;
  memset(p, 0, need);
  return p;
}

char *sk__arena_strndup(sk__arena *a, const char *s, size_t n) {
  char *p = sk__arena_alloc(a, n + 1);
  if (p == NULL) {
    return NULL;
  }
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void sk__arena_free(sk__arena *a) {
  sk__arena_chunk *c = a->head;
  while (c != NULL) {
    sk__arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  a->head = NULL;
}
