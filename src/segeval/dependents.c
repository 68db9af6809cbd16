/* The stored segments that depend on a segment through in_segment(): what `segkit segment
 * rm` and DELETE /api/v1/segments/NAME refuse to break without being told to.
 *
 * A rule's references are read from its tokens (segkit_rule_text_uses_segment), not by
 * compiling it: compiling needs each rule's environment (its dataset, its derived fields),
 * which would load every dataset to answer a question about names. The walk goes outwards
 * level by level (those that name the segment, then those that name one of them, ...), each
 * segment taken once, so a cycle among stored rules ends it. */
#include <stdlib.h>
#include <string.h>

#include "segeval/segeval_int.h"

/* Whether rule text uses one of the `n` segments names[0..n) (a rule that does not lex
 * cannot have been stored through the checks; it is taken as naming nothing). */
static segkit_status uses_any(const char *rule, char *const *names, size_t n, bool *uses,
                              segkit_error *err) {
  *uses = false;
  for (size_t k = 0; k < n && !*uses; k++) {
    segkit_status s = segkit_rule_text_uses_segment(rule, names[k], uses, err);
    if (s == SEGKIT_ERR_PARSE) {
      *uses = false;
      return SEGKIT_OK;
    }
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}

segkit_status segkit_segeval_dependents(segkit_workspace *ws, const char *name,
                                        segkit_segment_list **out, size_t *n_direct,
                                        segkit_error *err) {
  *out = NULL;
  if (n_direct != NULL) {
    *n_direct = 0;
  }
  segkit_segment_list *all = NULL;
  segkit_status s = segkit_workspace_segments(ws, NULL, &all, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_segment_list *deps = calloc(1, sizeof *deps);
  bool *taken = calloc(all->n + 1, sizeof *taken);
  /* The names of the last level found: the segment itself first. */
  char **level = calloc(all->n + 1, sizeof *level);
  char **next = calloc(all->n + 1, sizeof *next);
  if (deps != NULL) {
    deps->items = calloc(all->n + 1, sizeof *deps->items);
  }
  if (deps == NULL || deps->items == NULL || taken == NULL || level == NULL || next == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  size_t n_level = 0;
  if (s == SEGKIT_OK) {
    level[n_level++] = (char *)name;
  }
  for (size_t i = 0; s == SEGKIT_OK && i < all->n; i++) {
    taken[i] = strcmp(all->items[i].name, name) == 0;
  }
  bool first = true;
  while (s == SEGKIT_OK && n_level > 0) {
    size_t n_next = 0;
    for (size_t i = 0; s == SEGKIT_OK && i < all->n; i++) {
      bool uses = false;
      if (!taken[i]) {
        s = uses_any(all->items[i].rule, level, n_level, &uses, err);
      }
      if (uses) {
        taken[i] = true;
        next[n_next++] = all->items[i].name;
      }
    }
    /* Move this level's segments (found in name order) to the result; their names stay
     * readable through the moved items until the next level is found. */
    size_t start = deps->n;
    for (size_t i = 0; s == SEGKIT_OK && i < all->n; i++) {
      for (size_t k = 0; k < n_next; k++) {
        if (all->items[i].name == next[k]) {
          deps->items[deps->n++] = all->items[i];
          memset(&all->items[i], 0, sizeof all->items[i]);
          all->items[i].name = NULL;
        }
      }
    }
    if (first && n_direct != NULL) {
      *n_direct = deps->n;
    }
    first = false;
    for (size_t k = 0; k < deps->n - start; k++) {
      level[k] = deps->items[start + k].name;
    }
    n_level = deps->n - start;
  }
  free(level);
  free(next);
  free(taken);
  segkit_segment_list_free(all);
  if (s != SEGKIT_OK) {
    segkit_segment_list_free(deps);
    if (n_direct != NULL) {
      *n_direct = 0;
    }
    return s;
  }
  *out = deps;
  return SEGKIT_OK;
}
