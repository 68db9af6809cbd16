/* Helpers for the survival tests: lung.csv as a segkit table, R reference files as rows
 * of fields, and the 1e-6 relative comparison the issue asks for.
 *
 * The survival tests link only the survival module (and table, core), not io, so lung.csv
 * (integers and empty fields only, header quoted) is parsed here by a few lines of C and
 * handed to segkit_table_from_arrays; every column is INT64, empty = null. */
#ifndef SEGKIT_SURVIVAL_TESTKIT_H
#define SEGKIT_SURVIVAL_TESTKIT_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survival.h"
#include "segkit/table.h"
#include "testkit.h"

#define SV_MAX_COLS 16
#define SV_MAX_ROWS 512

/* A CSV-ish file split into fields: rows[r][c], quotes removed. */
typedef struct sv_rows {
  char *text;
  size_t n_rows;
  size_t n_cols[SV_MAX_ROWS];
  char *cell[SV_MAX_ROWS][SV_MAX_COLS];
} sv_rows;

/* Split text on newlines and `sep` characters, in place. Returns 0 on failure. */
static inline int sv_rows_read(const char *path, const char *sep, sv_rows *out) {
  size_t size = 0;
  memset(out, 0, sizeof *out);
  out->text = tu_read_file(path, &size);
  if (out->text == NULL) {
    return 0;
  }
  char *line = out->text;
  while (*line != '\0' && out->n_rows < SV_MAX_ROWS) {
    char *end = strchr(line, '\n');
    if (end != NULL) {
      *end = '\0';
    }
    if (line[0] != '\0' && line[0] != '#') {
      size_t r = out->n_rows++;
      char *p = line;
      for (;;) {
        size_t len = strcspn(p, sep);
        char stop = p[len];
        char *field = p;
        field[len] = '\0';
        if (field[0] == '"' && len >= 2 && field[len - 1] == '"') {
          field[len - 1] = '\0';
          field++;
        }
        if (out->n_cols[r] < SV_MAX_COLS) {
          out->cell[r][out->n_cols[r]++] = field;
        }
        if (stop == '\0') {
          break;
        }
        p += len + 1;
      }
    }
    if (end == NULL) {
      break;
    }
    line = end + 1;
  }
  return 1;
}

static inline double sv_num(const char *s) {
  if (strcmp(s, "NA") == 0 || strcmp(s, "NaN") == 0) {
    return NAN;
  }
  return strtod(s, NULL);
}

/* |got - want| <= 1e-6 |want| (plus 1e-12 for values at 0); NaN matches NaN. */
static inline int sv_close(double got, double want) {
  if (isnan(want) || isnan(got)) {
    return isnan(want) && isnan(got);
  }
  return fabs(got - want) <= 1e-6 * fabs(want) + 1e-12;
}

/* lung.csv as an all-INT64 table (NULL on failure). */
static inline segkit_table *sv_load_lung(void) {
  sv_rows *rows = malloc(sizeof *rows);
  if (rows == NULL || !sv_rows_read(SEGKIT_SHARED_DATA "/survival/lung.csv", ",", rows)) {
    free(rows);
    return NULL;
  }
  size_t n_cols = rows->n_cols[0];
  size_t n = rows->n_rows - 1;
  segkit_column_arrays cols[SV_MAX_COLS];
  int64_t *data = calloc(n_cols * n, sizeof *data);
  uint64_t *valid = calloc(n_cols * ((n + 63) / 64), sizeof *valid);
  segkit_table *t = NULL;
  if (data != NULL && valid != NULL) {
    size_t words = (n + 63) / 64;
    for (size_t c = 0; c < n_cols; c++) {
      for (size_t r = 0; r < n; r++) {
        const char *cell = c < rows->n_cols[r + 1] ? rows->cell[r + 1][c] : "";
        if (cell[0] != '\0') {
          data[c * n + r] = strtoll(cell, NULL, 10);
          valid[c * words + r / 64] |= UINT64_C(1) << (r % 64);
        }
      }
      cols[c] = (segkit_column_arrays){.name = rows->cell[0][c],
                                       .type = SEGKIT_TYPE_INT64,
                                       .data = data + c * n,
                                       .validity = valid + c * words};
    }
    segkit_error err;
    if (segkit_table_from_arrays(n, n_cols, cols, &t, &err) != SEGKIT_OK) {
      t = NULL;
    }
  }
  free(data);
  free(valid);
  free(rows->text);
  free(rows);
  return t;
}

/* Compare curve c with the reference rows whose first field is `strata` (or all rows
 * when strata is NULL; then the columns start at time). Returns the number of
 * mismatches, printing each. */
static inline int sv_compare_curve(const segkit_km_curve *c, const sv_rows *ref,
                                   const char *strata) {
  int bad = 0;
  size_t j = 0;
  size_t off = strata != NULL ? 1 : 0;
  for (size_t r = 1; r < ref->n_rows; r++) {
    if (strata != NULL && strcmp(ref->cell[r][0], strata) != 0) {
      continue;
    }
    if (j >= c->n_points) {
      printf("curve %s has only %zu points\n", strata ? strata : "", c->n_points);
      return bad + 1;
    }
    double want[8];
    for (size_t k = 0; k < 8; k++) {
      want[k] = sv_num(ref->cell[r][off + k]);
    }
    double got[8] = {c->time[j],    (double)c->n_risk[j], (double)c->n_event[j],
                     (double)c->n_censor[j], c->surv[j], c->std_err[j],
                     c->lower[j],   c->upper[j]};
    for (size_t k = 0; k < 8; k++) {
      if (!sv_close(got[k], want[k])) {
        printf("%s point %zu field %zu: got %.15g want %.15g\n", strata ? strata : "all", j,
               k, got[k], want[k]);
        bad++;
      }
    }
    j++;
  }
  if (j != c->n_points) {
    printf("curve %s: %zu points, reference has %zu\n", strata ? strata : "", c->n_points, j);
    bad++;
  }
  return bad;
}

#endif
