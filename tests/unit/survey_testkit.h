/* Helpers for the survey tests: the synthetic survey (tests/data/survey/respondents.csv,
 * margins.csv) as code arrays, and the R reference files (rake_R.csv, survey_R.txt) that
 * tests/data/survey/make_reference.R wrote with R's survey package.
 *
 * The files are plain comma-separated text without quotes (make_data.R writes them so),
 * parsed here in a few lines so the tests link only the survey module. */
#ifndef SEGKIT_SURVEY_TESTKIT_H
#define SEGKIT_SURVEY_TESTKIT_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survey.h"
#include "testkit.h"

#define SVY_N 1500

static const char *const svy_age[5] = {"18-24", "25-34", "35-44", "45-54", "55+"};
static const char *const svy_region[4] = {"North", "South", "East", "West"};
static const char *const svy_gender[2] = {"Female", "Male"};
static const char *const svy_segment[4] = {"Achievers", "Balancers", "Cautious", "Drifters"};
static const char *const svy_brand[4] = {"Alpha", "Beta", "Gamma", "Other"};

typedef struct svy_data {
  size_t n;
  char *text;                 /* the file, split in place */
  const char *age[SVY_N];     /* answers as text, pointing into text */
  const char *region[SVY_N];
  const char *gender[SVY_N];
  int32_t age_code[SVY_N];
  int32_t region_code[SVY_N];
  int32_t gender_code[SVY_N];
  int32_t segment[SVY_N];
  int32_t brand[SVY_N];
  double q1[SVY_N];
  double base_w[SVY_N];
} svy_data;

static inline int32_t svy_code(const char *const *labels, int32_t k, const char *s) {
  for (int32_t i = 0; i < k; i++) {
    if (strcmp(labels[i], s) == 0) {
      return i;
    }
  }
  return -1;
}

/* Split one line into at most max fields at commas, in place; returns the count. */
static inline size_t svy_split(char *line, char **field, size_t max) {
  size_t k = 0;
  field[k++] = line;
  for (char *p = line; *p != '\0' && k < max; p++) {
    if (*p == ',') {
      *p = '\0';
      field[k++] = p + 1;
    }
  }
  return k;
}

/* Next line of *cursor (NUL-terminated in place), NULL at the end. */
static inline char *svy_line(char **cursor) {
  char *line = *cursor;
  if (line == NULL || *line == '\0') {
    return NULL;
  }
  char *nl = strchr(line, '\n');
  if (nl != NULL) {
    *nl = '\0';
    *cursor = nl + 1;
  } else {
    *cursor = line + strlen(line);
  }
  return line;
}

/* Load respondents.csv; returns NULL on failure. Free with svy_data_free. */
static inline svy_data *svy_data_load(void) {
  svy_data *d = calloc(1, sizeof *d);
  size_t size = 0;
  d->text = tu_read_file(SEGKIT_TEST_DATA "/survey/respondents.csv", &size);
  if (d->text == NULL) {
    free(d);
    return NULL;
  }
  char *cur = d->text;
  svy_line(&cur); /* header */
  char *line = NULL;
  while ((line = svy_line(&cur)) != NULL && d->n < SVY_N) {
    char *f[8];
    if (svy_split(line, f, 8) != 8) {
      break;
    }
    size_t i = d->n;
    d->age[i] = f[1];
    d->region[i] = f[2];
    d->gender[i] = f[3];
    d->age_code[i] = svy_code(svy_age, 5, f[1]);
    d->region_code[i] = svy_code(svy_region, 4, f[2]);
    d->gender_code[i] = svy_code(svy_gender, 2, f[3]);
    d->segment[i] = svy_code(svy_segment, 4, f[4]);
    d->brand[i] = svy_code(svy_brand, 4, f[5]);
    d->q1[i] = strtod(f[6], NULL);
    d->base_w[i] = strtod(f[7], NULL);
    d->n++;
  }
  return d;
}

static inline void svy_data_free(svy_data *d) {
  if (d != NULL) {
    free(d->text);
    free(d);
  }
}

/* Column col (1-based after id) of rake_R.csv into out[SVY_N]; returns rows read. */
static inline size_t svy_rake_reference(int col, double *out) {
  size_t size = 0;
  char *text = tu_read_file(SEGKIT_TEST_DATA "/survey/rake_R.csv", &size);
  if (text == NULL) {
    return 0;
  }
  char *cur = text;
  svy_line(&cur);
  size_t n = 0;
  char *line = NULL;
  while ((line = svy_line(&cur)) != NULL && n < SVY_N) {
    char *f[4];
    if (svy_split(line, f, 4) != 4) {
      break;
    }
    out[n++] = strtod(f[col], NULL);
  }
  free(text);
  return n;
}

/* Values of the line "key v1 v2 ..." of survey_R.txt into out (at most max); returns
 * how many, 0 when the key is missing. */
static inline size_t svy_ref(const char *key, double *out, size_t max) {
  size_t size = 0;
  char *text = tu_read_file(SEGKIT_TEST_DATA "/survey/survey_R.txt", &size);
  if (text == NULL) {
    return 0;
  }
  size_t klen = strlen(key);
  size_t n = 0;
  char *cur = text;
  char *line = NULL;
  while ((line = svy_line(&cur)) != NULL) {
    if (strncmp(line, key, klen) != 0 || line[klen] != ' ') {
      continue;
    }
    char *p = line + klen;
    while (n < max) {
      char *end = NULL;
      double v = strtod(p, &end);
      if (end == p) {
        break;
      }
      out[n++] = v;
      p = end;
    }
    break;
  }
  free(text);
  return n;
}

/* |a - b| <= rel |b| + abs. */
static inline int svy_close(double a, double b, double rel, double abs_tol) {
  return fabs(a - b) <= rel * fabs(b) + abs_tol;
}

#endif
