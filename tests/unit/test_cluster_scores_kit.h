/* Helpers for the cluster judging tests: Iris from the shared data, and the number files
 * the reference scripts write (a "# ..." header line, then comma-separated fields). */
#ifndef TEST_CLUSTER_SCORES_KIT_H
#define TEST_CLUSTER_SCORES_KIT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK_MAX_FIELDS 24

/* Bounded copy that always terminates (snprintf("%s") trips -Wformat-truncation). */
static inline void ck_copy(char *dst, size_t cap, const char *src) {
  size_t len = strlen(src);
  if (len >= cap)
    len = cap - 1;
  memcpy(dst, src, len);
  dst[len] = '\0';
}

typedef struct ck_rows {
  size_t n;
  size_t n_fields[4096];
  char field[4096][CK_MAX_FIELDS][48];
} ck_rows;

/* Read a reference file into rows of text fields; NULL if it cannot be read. The caller
 * frees. */
static inline ck_rows *ck_read(const char *dir, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  ck_rows *r = calloc(1, sizeof *r);
  char line[4096];
  while (r && fgets(line, sizeof line, f) && r->n < 4096) {
    if (line[0] == '#' || line[0] == '\n')
      continue;
    line[strcspn(line, "\r\n")] = '\0';
    size_t k = 0;
    char *save = line;
    for (char *tok = save; tok && k < CK_MAX_FIELDS; k++) {
      char *comma = strchr(tok, ',');
      if (comma)
        *comma = '\0';
      ck_copy(r->field[r->n][k], sizeof r->field[r->n][k], tok);
      tok = comma ? comma + 1 : NULL;
    }
    r->n_fields[r->n++] = k;
  }
  fclose(f);
  return r;
}

static inline double ck_num(const ck_rows *r, size_t row, size_t col) {
  return strtod(r->field[row][col], NULL);
}

/* Iris: 150 x 4 measurements and species codes 0..2 in first-seen order. */
static inline int ck_iris(double *x, int32_t *species) {
  FILE *f = fopen(SEGKIT_SHARED_DATA "/iris/iris.csv", "r");
  if (!f)
    return 0;
  char line[512];
  char names[3][32] = {"", "", ""};
  int n = 0;
  if (!fgets(line, sizeof line, f)) {
    fclose(f);
    return 0;
  }
  while (fgets(line, sizeof line, f) && n < 150) {
    char sp[64] = "";
    double v[4];
    if (sscanf(line, "%lf,%lf,%lf,%lf,%63s", &v[0], &v[1], &v[2], &v[3], sp) != 5)
      break;
    for (int j = 0; j < 4; j++)
      x[n * 4 + j] = v[j];
    int code = -1;
    for (int c = 0; c < 3 && code < 0; c++) {
      if (names[c][0] == '\0')
        ck_copy(names[c], sizeof names[c], sp);
      if (strcmp(names[c], sp) == 0)
        code = c;
    }
    species[n++] = code;
  }
  fclose(f);
  return n;
}

static inline int ck_close(double got, double want, double rel) {
  return fabs(got - want) <= rel * fabs(want) + 1e-300 || (got == want);
}

#endif
