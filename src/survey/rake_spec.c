/* rake_spec.c: margins given as (variable, category, share) rows and answers given as
 * text, turned into the codes and shares raking works on.
 *
 * This is the seam between a margins CSV ("variable,category,share") plus a survey table
 * and segkit_rake_new: levels are numbered in the order the margin rows list them, so
 * the achieved-vs-target report reads in the user's order. Lookups are a linear scan of
 * the variable's categories: margins have a handful of categories per variable (age
 * bands, regions), and n x k string compares of short strings cost less than hashing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "survey/survey_int.h"

struct segkit_rake_spec {
  size_t n_vars;
  segkit_rake_var *vars;
  int32_t *codes;   /* n_vars x n */
  double *shares;   /* all levels */
  const char **labels; /* all levels, pointing into text */
  char *text;       /* copies of the names and labels */
};

void segkit_rake_spec_free(segkit_rake_spec *s) {
  if (s == NULL) {
    return;
  }
  free(s->vars);
  free(s->codes);
  free(s->shares);
  free(s->labels);
  free(s->text);
  free(s);
}

static long find_var(const char *const *names, size_t n_vars, const char *name) {
  for (size_t v = 0; v < n_vars; v++) {
    if (strcmp(names[v], name) == 0) {
      return (long)v;
    }
  }
  return -1;
}

static segkit_status check_rows(const segkit_margin_row *rows, size_t n_rows,
                                const char *const *names, size_t n_vars, uint32_t *levels,
                                segkit_error *err) {
  for (size_t r = 0; r < n_rows; r++) {
    const segkit_margin_row *row = &rows[r];
    if (row->variable == NULL || row->category == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "margin row %zu has no variable or category",
                              r + 1);
    }
    long v = find_var(names, n_vars, row->variable);
    if (v < 0) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, row->variable,
                                 "margin row %zu is for variable '%s', which is not among the "
                                 "raking variables given",
                                 r + 1, row->variable);
    }
    if (!isfinite(row->share) || row->share < 0.0) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, row->variable,
                                 "margin row %zu ('%s' = '%s') has share %g (expected a "
                                 "number >= 0)",
                                 r + 1, row->variable, row->category, row->share);
    }
    for (size_t q = 0; q < r; q++) {
      if (strcmp(rows[q].variable, row->variable) == 0 &&
          strcmp(rows[q].category, row->category) == 0) {
        return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, row->variable,
                                   "margin rows %zu and %zu both give '%s' = '%s'", q + 1,
                                   r + 1, row->variable, row->category);
      }
    }
    levels[v]++;
  }
  for (size_t v = 0; v < n_vars; v++) {
    if (levels[v] == 0) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, names[v],
                                 "raking variable '%s' has no margin rows", names[v]);
    }
  }
  return SEGKIT_OK;
}

/* Lay out levels in row order and copy names and labels into one text block. */
static segkit_status build_levels(segkit_rake_spec *s, const segkit_margin_row *rows,
                                  size_t n_rows, const char *const *names,
                                  const uint32_t *levels, segkit_error *err) {
  size_t text = 0;
  for (size_t v = 0; v < s->n_vars; v++) {
    text += strlen(names[v]) + 1;
  }
  for (size_t r = 0; r < n_rows; r++) {
    text += strlen(rows[r].category) + 1;
  }
  s->text = malloc(text);
  s->shares = malloc(n_rows * sizeof *s->shares);
  s->labels = malloc(n_rows * sizeof *s->labels);
  if (s->text == NULL || s->shares == NULL || s->labels == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the margins");
  }
  char *t = s->text;
  size_t start = 0;
  for (size_t v = 0; v < s->n_vars; v++) {
    size_t len = strlen(names[v]) + 1;
    memcpy(t, names[v], len);
    s->vars[v].name = t;
    t += len;
    s->vars[v].n_levels = 0;
    s->vars[v].share = s->shares + start;
    s->vars[v].level_labels = s->labels + start;
    start += levels[v];
  }
  for (size_t r = 0; r < n_rows; r++) {
    long v = find_var(names, s->n_vars, rows[r].variable);
    segkit_rake_var *var = &s->vars[v];
    size_t len = strlen(rows[r].category) + 1;
    memcpy(t, rows[r].category, len);
    ((double *)var->share)[var->n_levels] = rows[r].share;
    ((const char **)var->level_labels)[var->n_levels] = t;
    var->n_levels++;
    t += len;
  }
  return SEGKIT_OK;
}

static segkit_status map_answers(segkit_rake_spec *s, size_t n,
                                 const char *const *const *answers, segkit_error *err) {
  for (size_t v = 0; v < s->n_vars; v++) {
    segkit_rake_var *var = &s->vars[v];
    int32_t *codes = s->codes + v * n;
    var->codes = codes;
    for (size_t i = 0; i < n; i++) {
      const char *a = answers[v][i];
      int32_t code = -1;
      for (uint32_t l = 0; a != NULL && l < var->n_levels; l++) {
        if (strcmp(a, var->level_labels[l]) == 0) {
          code = (int32_t)l;
          break;
        }
      }
      if (a == NULL) {
        return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, var->name,
                                   "respondent %zu has no answer for raking variable '%s' "
                                   "(raking needs every respondent's category)",
                                   i, var->name);
      }
      if (code < 0) {
        return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, var->name,
                                   "respondent %zu has %s = '%s', which the margins do not "
                                   "list (expected one of the %u categories given for '%s')",
                                   i, var->name, a, var->n_levels, var->name);
      }
      codes[i] = code;
    }
  }
  return SEGKIT_OK;
}

segkit_status segkit_rake_spec_new(const segkit_margin_row *rows, size_t n_rows,
                                   const char *const *variable_names, size_t n_vars,
                                   size_t n, const char *const *const *answers,
                                   segkit_rake_spec **out, segkit_error *err) {
  if (out == NULL || rows == NULL || variable_names == NULL || answers == NULL ||
      n_vars == 0 || n == 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "margins need rows, variables and respondents");
  }
  for (size_t v = 0; v < n_vars; v++) {
    if (variable_names[v] == NULL || answers[v] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "raking variable %zu has no name or answers",
                              v);
    }
    if (find_var(variable_names, v, variable_names[v]) >= 0) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "raking variable '%s' is given twice",
                              variable_names[v]);
    }
  }
  uint32_t *levels = calloc(n_vars, sizeof *levels);
  segkit_rake_spec *s = calloc(1, sizeof *s);
  if (levels == NULL || s == NULL) {
    free(levels);
    free(s);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the margins");
  }
  s->n_vars = n_vars;
  segkit_status st = check_rows(rows, n_rows, variable_names, n_vars, levels, err);
  if (st == SEGKIT_OK) {
    s->vars = calloc(n_vars, sizeof *s->vars);
    s->codes = malloc(n_vars * n * sizeof *s->codes);
    st = s->vars == NULL || s->codes == NULL
             ? segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the margins")
             : SEGKIT_OK;
  }
  if (st == SEGKIT_OK) {
    st = build_levels(s, rows, n_rows, variable_names, levels, err);
  }
  if (st == SEGKIT_OK) {
    st = map_answers(s, n, answers, err);
  }
  free(levels);
  if (st != SEGKIT_OK) {
    segkit_rake_spec_free(s);
    return st;
  }
  *out = s;
  return SEGKIT_OK;
}

const segkit_rake_var *segkit_rake_spec_vars(const segkit_rake_spec *s) {
  return s != NULL ? s->vars : NULL;
}

size_t segkit_rake_spec_n_vars(const segkit_rake_spec *s) {
  return s != NULL ? s->n_vars : 0;
}
