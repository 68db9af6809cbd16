/* member_keys.c: a segment's members as sorted keys, and what changed between two such
 * lists — the one diff behind `segkit segment diff`, GET /api/v1/segments/NAME/diff and
 * the growth findings of `segkit insights`.
 *
 * Key design choice: snapshots store their keys sorted (int64 numerically, strings
 * byte-wise), so the members now are sorted the same way and a diff is one merge of two
 * sorted lists, O(n) after the sort, with no hash table to size. Keys are copied (strings
 * into one block), so a list outlives the table or evaluation it came from. */
#include <stdlib.h>
#include <string.h>

#include "segkit/segeval.h"

struct segkit_member_keys {
  bool ints;
  size_t n;
  int64_t *i;
  const char **s; /* into text */
  char *text;
};

void segkit_member_keys_free(segkit_member_keys *k) {
  if (k != NULL) {
    free(k->i);
    free(k->s);
    free(k->text);
    free(k);
  }
}

size_t segkit_member_keys_n(const segkit_member_keys *k) {
  return k != NULL ? k->n : 0;
}

bool segkit_member_keys_are_ints(const segkit_member_keys *k) {
  return k != NULL && k->ints;
}

int64_t segkit_member_keys_int(const segkit_member_keys *k, size_t i) {
  return k != NULL && k->ints && i < k->n ? k->i[i] : 0;
}

const char *segkit_member_keys_text(const segkit_member_keys *k, size_t i) {
  return k != NULL && !k->ints && i < k->n ? k->s[i] : NULL;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a;
  int64_t y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool row_in(const uint64_t *bits, size_t r) {
  return bits == NULL || ((bits[r / 64] >> (r % 64)) & 1u) != 0;
}

segkit_status segkit_member_keys_of(const segkit_column *c, const uint64_t *bits,
                                    segkit_member_keys **out, segkit_error *err) {
  if (c == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_member_keys_of: no key column");
  }
  segkit_type ty = segkit_column_type(c);
  if (ty != SEGKIT_TYPE_INT64 && ty != SEGKIT_TYPE_STRING) {
    return segkit_error_set(err, SEGKIT_ERR_TYPE,
                            "key column '%s' is %s (expected int64 or string keys)",
                            segkit_column_name(c), segkit_type_name(ty));
  }
  size_t n = segkit_column_n_rows(c);
  segkit_member_keys *k = calloc(1, sizeof *k);
  if (k == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the member keys");
  }
  k->ints = ty == SEGKIT_TYPE_INT64;
  size_t bytes = 0;
  if (!k->ints) {
    for (size_t r = 0; r < n; r++) {
      if (row_in(bits, r) && segkit_column_is_valid(c, r)) {
        size_t len = 0;
        segkit_column_dict_value(c, segkit_column_codes(c)[r], &len);
        bytes += len + 1;
      }
    }
  }
  k->i = k->ints ? malloc((n + 1) * sizeof *k->i) : NULL;
  k->s = k->ints ? NULL : malloc((n + 1) * sizeof *k->s);
  k->text = k->ints ? NULL : malloc(bytes + 1);
  if (k->ints ? k->i == NULL : (k->s == NULL || k->text == NULL)) {
    segkit_member_keys_free(k);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the member keys");
  }
  size_t at = 0;
  for (size_t r = 0; r < n; r++) {
    if (!row_in(bits, r) || !segkit_column_is_valid(c, r)) {
      continue;
    }
    if (k->ints) {
      k->i[k->n++] = segkit_column_int64(c)[r];
    } else {
      size_t len = 0;
      const char *v = segkit_column_dict_value(c, segkit_column_codes(c)[r], &len);
      memcpy(k->text + at, v, len);
      k->text[at + len] = '\0';
      k->s[k->n++] = k->text + at;
      at += len + 1;
    }
  }
  if (k->ints) {
    qsort(k->i, k->n, sizeof *k->i, cmp_i64);
  } else {
    qsort(k->s, k->n, sizeof *k->s, cmp_str);
  }
  *out = k;
  return SEGKIT_OK;
}

segkit_status segkit_member_keys_of_snapshot(segkit_workspace *ws, int64_t id,
                                             segkit_member_keys **out, segkit_error *err) {
  segkit_table *t = NULL;
  segkit_status s = segkit_workspace_snapshot_members(ws, id, &t, err);
  if (s == SEGKIT_OK) {
    s = segkit_member_keys_of(segkit_table_column(t, 0), NULL, out, err);
  }
  segkit_table_free(t);
  return s;
}

void segkit_member_diff_free(segkit_member_diff *d) {
  if (d != NULL) {
    free(d->entered);
    free(d->left);
    memset(d, 0, sizeof *d);
  }
}

segkit_status segkit_member_keys_diff(const segkit_member_keys *from, const segkit_member_keys *to,
                                      segkit_member_diff *out, segkit_error *err) {
  if (from == NULL || to == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_member_keys_diff: missing lists");
  }
  memset(out, 0, sizeof *out);
  if (from->ints != to->ints && from->n > 0 && to->n > 0) {
    return segkit_error_set(err, SEGKIT_ERR_TYPE,
                            "the member lists have keys of different types (%s then, %s now): "
                            "the segment's key column changed",
                            from->ints ? "int64" : "string", to->ints ? "int64" : "string");
  }
  out->entered = malloc((to->n + 1) * sizeof *out->entered);
  out->left = malloc((from->n + 1) * sizeof *out->left);
  if (out->entered == NULL || out->left == NULL) {
    segkit_member_diff_free(out);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the diff");
  }
  out->n_from = from->n;
  out->n_to = to->n;
  size_t i = 0, j = 0;
  while (i < to->n || j < from->n) {
    int cmp = i == to->n     ? 1
              : j == from->n ? -1
              : to->ints     ? cmp_i64(&to->i[i], &from->i[j])
                             : strcmp(to->s[i], from->s[j]);
    if (cmp < 0) {
      out->entered[out->n_entered++] = i++;
    } else if (cmp > 0) {
      out->left[out->n_left++] = j++;
    } else {
      i++;
      j++;
    }
  }
  return SEGKIT_OK;
}
