/* The result of a read, reader options, and the reject-reason table.
 *
 * A result owns the table (until taken), the counts, and every kept reject. The rejects'
 * strings (message, raw bytes, field name) live in one pool allocated once at the end of
 * the read, so a result is three allocations however many rows were rejected, and the
 * pointers handed out stay valid until segkit_read_result_free. */
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"



/* ==== reasons =========================================================================== */

static const struct {
  const char *id;
  const char *description;
} reasons[] = {
#define SEGKIT_REJECT_ROW(name, id, desc) {id, desc},
    SEGKIT_REJECT_MAP(SEGKIT_REJECT_ROW)
#undef SEGKIT_REJECT_ROW
};

const char *segkit_reject_reason_id(segkit_reject_reason r) {
  return (int)r >= 0 && r < SEGKIT_REJECT_COUNT ? reasons[r].id : "unknown";
}

const char *segkit_reject_reason_description(segkit_reject_reason r) {
  return (int)r >= 0 && r < SEGKIT_REJECT_COUNT ? reasons[r].description : "unknown reason";
}

/* ==== options =========================================================================== */

#define DEFAULT_INFER_ROWS 10000
#define DEFAULT_MAX_FIELD ((size_t)16 << 20)
#define DEFAULT_BUFFER ((size_t)64 << 20)

void segkit_read_options_init(segkit_read_options *opt) {
  if (opt == NULL) {
    return;
  }
  memset(opt, 0, sizeof *opt);
  opt->infer_rows = DEFAULT_INFER_ROWS;
  opt->on_error = SEGKIT_ON_ERROR_FAIL;
  opt->max_field_bytes = DEFAULT_MAX_FIELD;
  opt->buffer_bytes = DEFAULT_BUFFER;
}

segkit_status sk__options_resolve(const segkit_read_options *in, segkit_read_options *out,
                                  segkit_error *err) {
  if (in == NULL) {
    segkit_read_options_init(out);
  } else {
    *out = *in;
  }
  char d = out->delimiter;
  if (d == '"' || d == '\n' || d == '\r' || (unsigned char)d >= 0x80) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "delimiter",
                               "the delimiter cannot be a quote, a line break or a non-ASCII "
                               "byte (expected , ; tab | or another ASCII character)");
  }
  if ((int)out->on_error < 0 || out->on_error > SEGKIT_ON_ERROR_QUARANTINE) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "on_error",
                               "unknown on_error mode %d (expected fail, skip or quarantine)",
                               (int)out->on_error);
  }
  if (out->n_types > 0 && out->types == NULL) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "types",
                               "n_types is %zu but types is NULL", out->n_types);
  }
  for (size_t i = 0; i < out->n_types; i++) {
    if (out->types[i].column == NULL || (int)out->types[i].type < 0 ||
        out->types[i].type >= SEGKIT_TYPE_COUNT) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "types",
                                 "type override %zu has no column name or an unknown type", i);
    }
  }
  if (out->n_threads < 0) {
    out->n_threads = 0;
  }
  if (out->max_field_bytes == 0) {
    out->max_field_bytes = DEFAULT_MAX_FIELD;
  }
  if (out->buffer_bytes == 0) {
    out->buffer_bytes = DEFAULT_BUFFER;
  }
  /* A field is at most 1 GiB (its length fits the batches' 32-bit cells), and the row
   * ceiling buffer + 2 x max_field stays far from overflow. */
  if (out->max_field_bytes > ((size_t)1 << 30)) {
    out->max_field_bytes = (size_t)1 << 30;
  }
  if (out->buffer_bytes > ((size_t)1 << 40)) {
    out->buffer_bytes = (size_t)1 << 40;
  }
  return SEGKIT_OK;
}

/* ==== result ============================================================================ */

bool sk__line_vec_push(sk__line_vec *l, int64_t line) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 4096;
    int64_t *v = realloc(l->v, cap * sizeof *v);
    if (v == NULL) {
      return false;
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = line;
  return true;
}

/* Absolute 1-based lines of the accepted rows, region by region (the table's order). */
static bool absolute_lines(const sk__result_parts *p, segkit_read_result *r) {
  size_t n = 0;
  for (size_t k = 0; k < p->n_lists; k++) {
    n += p->row_lines[k].n;
  }
  r->row_lines = malloc((n + 1) * sizeof *r->row_lines);
  if (r->row_lines == NULL) {
    return false;
  }
  size_t at = 0;
  for (size_t k = 0; k < p->n_lists; k++) {
    for (size_t i = 0; i < p->row_lines[k].n; i++) {
      r->row_lines[at++] = p->line_base[k] + p->row_lines[k].v[i] + 1;
    }
  }
  r->n_row_lines = n;
  return true;
}

segkit_status sk__result_new(const sk__result_parts *p, segkit_read_result **out,
                             segkit_error *err) {
  segkit_read_result *r = calloc(1, sizeof *r);
  if (r == NULL) {
    segkit_table_free(p->table);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the read result");
  }
  r->table = p->table;
  r->counts = p->counts;
  r->delimiter = p->delimiter;
  r->n_cols = p->n_cols;
  r->inferred = calloc(p->n_cols + 1, sizeof *r->inferred);
  if (p->row_lines != NULL && !absolute_lines(p, r)) {
    segkit_read_result_free(r);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for row lines");
  }
  size_t n = 0;
  size_t pool = 0;
  for (size_t k = 0; k < p->n_lists; k++) {
    n += p->lists[k].n;
    pool += p->lists[k].pool_len;
  }
  size_t names_at = pool;
  if (n > 0) {
    for (size_t i = 0; i < p->n_cols; i++) {
      pool += strlen(p->col_names[i]) + 1;
    }
  }
  r->rejects = n > 0 ? calloc(n, sizeof *r->rejects) : NULL;
  r->pool = pool > 0 ? malloc(pool) : NULL;
  if (r->inferred == NULL || (n > 0 && r->rejects == NULL) || (pool > 0 && r->pool == NULL)) {
    segkit_read_result_free(r);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu rejected rows", n);
  }
  if (p->n_cols > 0) {
    memcpy(r->inferred, p->inferred, p->n_cols * sizeof *r->inferred);
  }
  const char **names = NULL;
  if (n > 0) {
    names = malloc(p->n_cols * sizeof *names + 1);
    if (names == NULL) {
      segkit_read_result_free(r);
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu rejected rows", n);
    }
    size_t o = names_at;
    for (size_t i = 0; i < p->n_cols; i++) {
      size_t len = strlen(p->col_names[i]) + 1;
      memcpy(r->pool + o, p->col_names[i], len);
      names[i] = r->pool + o;
      o += len;
    }
  }
  size_t at = 0;
  size_t pool_at = 0;
  for (size_t k = 0; k < p->n_lists; k++) {
    const sk__reject_list *l = &p->lists[k];
    if (l->pool_len > 0) {
      memcpy(r->pool + pool_at, l->pool, l->pool_len);
    }
    for (size_t i = 0; i < l->n; i++) {
      const sk__reject_rec *rec = &l->v[i];
      segkit_reject *dst = &r->rejects[at++];
      dst->line = p->line_base[k] + rec->line + 1;
      dst->column = rec->column;
      dst->field = rec->col >= 0 && (size_t)rec->col < p->n_cols ? names[rec->col] : NULL;
      dst->reason = rec->reason;
      dst->message = r->pool + pool_at + rec->msg_off;
      dst->raw = r->pool + pool_at + rec->raw_off;
      dst->raw_len = rec->raw_len;
    }
    pool_at += l->pool_len;
  }
  free(names);
  r->n_rejects = n;
  *out = r;
  return SEGKIT_OK;
}

void segkit_read_result_free(segkit_read_result *r) {
  if (r == NULL) {
    return;
  }
  segkit_table_free(r->table);
  free(r->rejects);
  free(r->pool);
  free(r->inferred);
  free(r->row_lines);
  for (size_t i = 0; i < r->n_extra; i++) {
    free(r->extra[i]);
  }
  free(r->extra);
  free(r);
}

const segkit_table *segkit_read_result_table(const segkit_read_result *r) {
  return r != NULL ? r->table : NULL;
}

segkit_table *segkit_read_result_take_table(segkit_read_result *r) {
  if (r == NULL) {
    return NULL;
  }
  segkit_table *t = r->table;
  r->table = NULL;
  return t;
}

const segkit_read_counts *segkit_read_result_counts(const segkit_read_result *r) {
  return r != NULL ? &r->counts : NULL;
}

size_t segkit_read_result_n_rejects(const segkit_read_result *r) {
  return r != NULL ? r->n_rejects : 0;
}

const segkit_reject *segkit_read_result_reject(const segkit_read_result *r, size_t i) {
  return r != NULL && i < r->n_rejects ? &r->rejects[i] : NULL;
}

const segkit_reject *segkit_read_result_rejects(const segkit_read_result *r) {
  return r != NULL && r->n_rejects > 0 ? r->rejects : NULL;
}

char segkit_read_result_delimiter(const segkit_read_result *r) {
  return r != NULL ? r->delimiter : 0;
}

bool segkit_read_result_type_inferred(const segkit_read_result *r, size_t col) {
  return r != NULL && col < r->n_cols && r->inferred[col];
}

int64_t segkit_read_result_row_line(const segkit_read_result *r, size_t i) {
  return r != NULL && r->row_lines != NULL && i < r->n_row_lines ? r->row_lines[i] : 0;
}
