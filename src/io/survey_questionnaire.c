/* survey_questionnaire.c: the questionnaire JSON codebook — the second codebook file
 * format segkit_codebook_read accepts (a file whose first non-blank byte is '{'), as
 * `segkit generate` writes it (survey_codebook.json) and as a tool that describes its
 * questions in JSON naturally would:
 *
 *   {"questions": [
 *     {"name": "age", "column": "age", "type": "numeric", "text": "How old are you?",
 *      "min": 18, "max": 75, "missing": {"99": "Refused"}},
 *     {"name": "region", "type": "single_choice", "values": {"1": "North America", ...}},
 *     {"name": "att_01", "type": "likert", "scale": {"min": 1, "max": 5},
 *      "values": {"1": "Strongly disagree", ...}, "missing": {"98": "Don't know"}},
 *     {"name": "tools_used", "type": "multiple_choice",
 *      "options": [{"column": "tools_used_1", "label": "Spreadsheets"}, ...]},
 *     {"name": "comment", "type": "open_text"}]}
 *
 * Types single_choice, multiple_choice, likert, numeric, open_text map to single, multi,
 * likert, numeric, text. A question's response column is "column" (default its name); a
 * multiple-choice option's column must be <name>_<code>, the layout the CSV responses
 * reader expects. Other keys (title, unit, battery, ...) are ignored. Key design choice: the
 * file is turned into the same segkit_codebook the CSV codebook gives, through the public
 * builders, so both formats obey one set of rules; every error names the file and the
 * JSON path ("questions[3].values") and what was expected. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/survey_int.h"

static segkit_status bad(segkit_error *err, const char *file, size_t q, const char *key,
                         const char *what) {
  char path[96];
  snprintf(path, sizeof path, "questions[%zu]%s%s", q, key != NULL ? "." : "",
           key != NULL ? key : "");
  return segkit_error_set_at(err, SEGKIT_ERR_PARSE, file, 0, 0, path, "%s: %s", path, what);
}

/* "12" -> 12; false for anything but a whole decimal number. */
static bool code_of(const char *s, int64_t *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end != '\0' || errno != 0) {
    return false;
  }
  *out = (int64_t)v;
  return true;
}

static segkit_status add_labels(segkit_codebook *cb, size_t var, const json_t *values,
                                const char *file, size_t q, segkit_error *err) {
  if (values == NULL) {
    return SEGKIT_OK;
  }
  if (!json_is_object(values)) {
    return bad(err, file, q, "values", "expected an object of \"code\": \"label\"");
  }
  const char *k = NULL;
  json_t *v = NULL;
  json_object_foreach((json_t *)values, k, v) {
    int64_t code = 0;
    if (!code_of(k, &code) || !json_is_string(v)) {
      return bad(err, file, q, "values", "expected whole-number codes with text labels");
    }
    segkit_status s = segkit_codebook_add_label(cb, var, code, json_string_value(v), err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}

static segkit_status add_missing(segkit_codebook *cb, size_t var, const json_t *missing,
                                 const char *file, size_t q, segkit_error *err) {
  if (missing == NULL) {
    return SEGKIT_OK;
  }
  if (!json_is_object(missing)) {
    return bad(err, file, q, "missing", "expected an object of \"code\": \"reason\"");
  }
  const char *k = NULL;
  json_t *v = NULL;
  json_object_foreach((json_t *)missing, k, v) {
    int64_t code = 0;
    if (!code_of(k, &code) || !json_is_string(v) || json_string_length(v) == 0) {
      return bad(err, file, q, "missing", "expected whole-number codes with a reason");
    }
    segkit_missing_code m = {.lo = (double)code, .hi = (double)code, .tag = 0,
                             .reason = json_string_value(v)};
    segkit_status s = segkit_codebook_add_missing(cb, var, &m, err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}

static double number_or_nan(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A multiple-choice question: one option column <name>_<code> each. */
static segkit_status add_options(segkit_codebook *cb, size_t var, const char *name,
                                 const json_t *options, const char *file, size_t q,
                                 segkit_error *err) {
  if (!json_is_array(options) || json_array_size(options) == 0) {
    return bad(err, file, q, "options", "expected an array of {\"column\", \"label\"}");
  }
  size_t prefix = strlen(name);
  size_t i = 0;
  json_t *o = NULL;
  json_array_foreach((json_t *)options, i, o) {
    const char *col = json_string_value(json_object_get(o, "column"));
    const char *label = json_string_value(json_object_get(o, "label"));
    int64_t code = 0;
    if (col == NULL || label == NULL || strncmp(col, name, prefix) != 0 ||
        col[prefix] != '_' || !code_of(col + prefix + 1, &code)) {
      char what[160];
      snprintf(what, sizeof what, "option %zu: expected a column named %s_<code> and a label",
               i, name);
      return bad(err, file, q, "options", what);
    }
    segkit_status s = segkit_codebook_add_label(cb, var, code, label, err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}

static segkit_status add_question(segkit_codebook *cb, const json_t *qj, const char *file,
                                  size_t q, segkit_error *err) {
  if (!json_is_object(qj)) {
    return bad(err, file, q, NULL, "expected an object");
  }
  const char *name = json_string_value(json_object_get(qj, "name"));
  const char *column = json_string_value(json_object_get(qj, "column"));
  const char *type = json_string_value(json_object_get(qj, "type"));
  const char *text = json_string_value(json_object_get(qj, "text"));
  if (name == NULL || name[0] == '\0') {
    return bad(err, file, q, "name", "expected the question's name");
  }
  static const struct {
    const char *json;
    segkit_survey_type type;
  } types[] = {{"single_choice", SEGKIT_SURVEY_SINGLE}, {"multiple_choice", SEGKIT_SURVEY_MULTI},
               {"likert", SEGKIT_SURVEY_LIKERT},        {"numeric", SEGKIT_SURVEY_NUMERIC},
               {"open_text", SEGKIT_SURVEY_TEXT}};
  size_t t = 0;
  while (type != NULL && t < sizeof types / sizeof types[0] && strcmp(types[t].json, type) != 0) {
    t++;
  }
  if (type == NULL || t == sizeof types / sizeof types[0]) {
    return bad(err, file, q, "type", "expected single_choice, multiple_choice, likert, "
                                     "numeric or open_text");
  }
  segkit_survey_type st = types[t].type;
  /* a multiple-choice question is named by its option prefix; the others by their column */
  const char *var_name = st == SEGKIT_SURVEY_MULTI || column == NULL ? name : column;
  size_t var = 0;
  segkit_status s = segkit_codebook_add_variable(cb, var_name, text != NULL ? text : "", st,
                                                 &var, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (st == SEGKIT_SURVEY_MULTI) {
    return add_options(cb, var, var_name, json_object_get(qj, "options"), file, q, err);
  }
  if (st == SEGKIT_SURVEY_TEXT) {
    return SEGKIT_OK;
  }
  s = add_labels(cb, var, json_object_get(qj, "values"), file, q, err);
  if (s == SEGKIT_OK) {
    s = add_missing(cb, var, json_object_get(qj, "missing"), file, q, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  const json_t *scale = json_object_get(qj, "scale");
  double lo = st == SEGKIT_SURVEY_LIKERT ? number_or_nan(scale, "min") : number_or_nan(qj, "min");
  double hi = st == SEGKIT_SURVEY_LIKERT ? number_or_nan(scale, "max") : number_or_nan(qj, "max");
  if ((st == SEGKIT_SURVEY_LIKERT || st == SEGKIT_SURVEY_NUMERIC) && (!isnan(lo) || !isnan(hi))) {
    if (!isnan(lo) && !isnan(hi) && lo > hi) {
      return bad(err, file, q, st == SEGKIT_SURVEY_LIKERT ? "scale" : "min",
                 "expected min <= max");
    }
    s = segkit_codebook_set_range(cb, var, lo, hi, err);
  }
  if (s == SEGKIT_OK && (st == SEGKIT_SURVEY_SINGLE || st == SEGKIT_SURVEY_LIKERT) &&
      segkit_codebook_n_labels(cb, var) == 0) {
    return bad(err, file, q, "values", "a coded question needs its value labels");
  }
  return s;
}

segkit_status sk__codebook_from_questionnaire(const char *data, size_t size, const char *file,
                                              segkit_codebook **out, segkit_error *err) {
  json_error_t je;
  json_t *root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &je);
  if (root == NULL) {
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, file, je.line > 0 ? je.line : 1,
                               je.column > 0 ? je.column : 0, NULL, "questionnaire JSON: %s",
                               je.text);
  }
  const json_t *qs = json_object_get(root, "questions");
  if (!json_is_array(qs)) {
    json_decref(root);
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, file, 0, 0, "questions",
                               "a JSON codebook needs a \"questions\" array (expected the "
                               "questionnaire format; see segkit/survey_file.h)");
  }
  segkit_codebook *cb = NULL;
  segkit_status s = segkit_codebook_new(&cb, err);
  size_t q = 0;
  json_t *qj = NULL;
  json_array_foreach((json_t *)qs, q, qj) {
    if (s != SEGKIT_OK) {
      break;
    }
    s = add_question(cb, qj, file, q, err);
    if (s != SEGKIT_OK && err != NULL && err->file[0] == '\0') {
      /* a builder's error (a duplicate name or code): say where it came from */
      char msg[sizeof err->message];
      char field[sizeof err->field];
      snprintf(msg, sizeof msg, "%s", err->message);
      snprintf(field, sizeof field, "%s", err->field);
      segkit_error_set_at(err, s, file, 0, 0, field, "questions[%zu]: %s", q, msg);
    }
  }
  json_decref(root);
  if (s != SEGKIT_OK) {
    segkit_codebook_free(cb);
    return s;
  }
  *out = cb;
  return SEGKIT_OK;
}
