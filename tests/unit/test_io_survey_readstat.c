/* SPSS (.sav, .zsav) and Stata (.dta) survey files through ReadStat, checked against
 * ReadStat's own command-line tools: `readstat FILE -` (values as CSV) and
 * `extract_metadata FILE OUT` (variable labels, value labels, user-missing values), whose
 * output tests/data/survey_file/make_reference.sh saved next to the fixtures (written by
 * make_fixtures.R with R's haven, and make_levels.c with ReadStat's writer for explicit
 * SPSS measurement levels). Every value, variable label, value label and missing
 * code segkit reads must equal what the tools report; the rest (which reason a null has,
 * which values are bad) is worked out by hand from make_fixtures.R. A drift test reruns
 * the reference script when the tools are installed. Hostile files (empty, text named
 * .sav, every truncation of the fixtures) must fail with an error naming the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "segkit/survey_file.h"
#include "testkit.h"

#define DATA SEGKIT_TEST_DATA "/survey_file/"

/* ==== the reference CSV (readstat FILE -) ================================================ */

typedef struct ref_csv {
  char *cells[64][16];   /* [row][col]; row 0 is the header */
  int quoted[64][16];
  size_t n_rows, n_cols;
} ref_csv;

/* RFC 4180 as readstat writes it: strings quoted with "" escapes, numbers bare. */
static void ref_csv_read(const char *path, ref_csv *r) {
  size_t size = 0;
  char *text = tu_read_file(path, &size);
  assert_non_null(text);
  memset(r, 0, sizeof *r);
  size_t i = 0;
  while (i < size) {
    size_t col = 0;
    for (;;) {
      char buf[1024];
      size_t n = 0;
      int quoted = 0;
      if (text[i] == '"') {
        quoted = 1;
        i++;
        while (i < size && !(text[i] == '"' && (i + 1 >= size || text[i + 1] != '"'))) {
          if (text[i] == '"') {
            i++;
          }
          assert_true(n + 1 < sizeof buf);
          buf[n++] = text[i++];
        }
        i++;
      } else {
        while (i < size && text[i] != ',' && text[i] != '\n') {
          assert_true(n + 1 < sizeof buf);
          buf[n++] = text[i++];
        }
      }
      buf[n] = '\0';
      assert_true(r->n_rows < 64 && col < 16);
      r->cells[r->n_rows][col] = strdup(buf);
      r->quoted[r->n_rows][col] = quoted;
      col++;
      if (i < size && text[i] == ',') {
        i++;
        continue;
      }
      i++; /* the newline */
      break;
    }
    if (r->n_rows == 0) {
      r->n_cols = col;
    }
    assert_int_equal(col, r->n_cols);
    r->n_rows++;
  }
  free(text);
}

static void ref_csv_free(ref_csv *r) {
  for (size_t i = 0; i < r->n_rows; i++) {
    for (size_t j = 0; j < r->n_cols; j++) {
      free(r->cells[i][j]);
    }
  }
}

/* ==== reading through segkit ============================================================ */

static segkit_survey_data *read_ok(const char *path, const segkit_survey_options *opt) {
  segkit_survey_data *d = NULL;
  segkit_error err;
  segkit_status st = segkit_survey_read_file(path, opt, &d, &err);
  if (st != SEGKIT_OK) {
    char buf[1200];
    segkit_error_format(&err, buf, sizeof buf);
    fail_msg("survey read of %s failed: %s", path, buf);
  }
  return d;
}

/* The listed bad value of (row, variable), as a number; NaN when none is listed. */
static double bad_value_of(const segkit_survey_data *d, size_t row, const char *variable) {
  for (size_t i = 0; i < segkit_survey_data_n_bad_listed(d); i++) {
    const segkit_survey_bad_value *b = segkit_survey_data_bad_at(d, i);
    if (b->row == (int64_t)row && strcmp(b->variable, variable) == 0) {
      return strtod(b->value, NULL);
    }
  }
  return NAN;
}

/* Cell (row, col) compared with the readstat text: same string, or same number (readstat
 * prints %f: 6 decimals), or empty for a null without a number. A null that was a
 * user-missing code must carry the code readstat prints, and a bad value its listing. */
static void check_cell(const segkit_survey_data *d, size_t row, size_t col, const char *want,
                       int quoted) {
  const segkit_table *t = segkit_survey_data_table(d);
  const segkit_column *c = segkit_table_column(t, col);
  const char *name = segkit_column_name(c);
  if (quoted) {
    assert_int_equal(segkit_column_type(c), SEGKIT_TYPE_STRING);
    assert_true(segkit_column_is_valid(c, row));
    size_t n = 0;
    const char *s = segkit_column_dict_value(c, segkit_column_codes(c)[row], &n);
    if (strlen(want) != n || memcmp(s, want, n) != 0) {
      fail_msg("%s row %zu: segkit '%.*s', readstat '%s'", name, row, (int)n, s, want);
    }
    return;
  }
  if (want[0] == '\0') {
    assert_false(segkit_column_is_valid(c, row));
    assert_true(isnan(segkit_survey_data_missing_value(d, col, row)));
    return;
  }
  double x = strtod(want, NULL);
  double got = NAN;
  if (segkit_column_is_valid(c, row)) {
    got = segkit_column_type(c) == SEGKIT_TYPE_INT64 ? (double)segkit_column_int64(c)[row]
                                                     : segkit_column_float64(c)[row];
  } else if (segkit_survey_data_reasons(d, col)[row] == SEGKIT_SURVEY_BAD) {
    got = bad_value_of(d, row, name); /* a bad value: kept in the list, not lost */
  } else {
    got = segkit_survey_data_missing_value(d, col, row);
  }
  if (!(fabs(got - x) <= 5e-7)) {
    fail_msg("%s row %zu: segkit %.17g, readstat %s", name, row, got, want);
  }
}

static void check_values(const char *file, const char *ref_name) {
  ref_csv ref;
  char path[512];
  snprintf(path, sizeof path, "%s%s", DATA, ref_name);
  ref_csv_read(path, &ref);
  snprintf(path, sizeof path, "%s%s", DATA, file);
  segkit_survey_data *d = read_ok(path, NULL);
  const segkit_table *t = segkit_survey_data_table(d);
  assert_int_equal(segkit_table_n_cols(t), ref.n_cols);
  assert_int_equal(segkit_table_n_rows(t), ref.n_rows - 1);
  for (size_t j = 0; j < ref.n_cols; j++) {
    assert_string_equal(segkit_column_name(segkit_table_column(t, j)), ref.cells[0][j]);
  }
  for (size_t i = 1; i < ref.n_rows; i++) {
    for (size_t j = 0; j < ref.n_cols; j++) {
      check_cell(d, i - 1, j, ref.cells[i][j], ref.quoted[i][j]);
    }
  }
  segkit_survey_data_free(d);
  ref_csv_free(&ref);
}

/* ==== the reference metadata (extract_metadata) ========================================= */

static long tagged_missing(const segkit_codebook *cb, size_t v, char tag) {
  for (size_t m = 0; m < segkit_codebook_n_missing(cb, v); m++) {
    if (segkit_codebook_missing_at(cb, v, m)->tag == tag) {
      return (long)m;
    }
  }
  return -1;
}

static size_t untagged_missing_count(const segkit_codebook *cb, size_t v) {
  size_t n = 0;
  for (size_t m = 0; m < segkit_codebook_n_missing(cb, v); m++) {
    n += segkit_codebook_missing_at(cb, v, m)->tag == 0;
  }
  return n;
}

static void check_categories(const segkit_codebook *cb, size_t v, const json_t *cats) {
  size_t n_numeric = 0;
  for (size_t i = 0; i < json_array_size(cats); i++) {
    const json_t *cat = json_array_get(cats, i);
    const json_t *code = json_object_get(cat, "code");
    const char *label = json_string_value(json_object_get(cat, "label"));
    assert_non_null(label);
    if (json_is_string(code)) {
      const char *tag = json_string_value(code); /* ".a" */
      assert_int_equal(strlen(tag), 2);
      long m = tagged_missing(cb, v, tag[1]);
      assert_true(m >= 0);
      assert_string_equal(segkit_codebook_missing_at(cb, v, (size_t)m)->reason, label);
      continue;
    }
    double x = json_number_value(code);
    const char *mine = segkit_codebook_label(cb, v, (int64_t)x);
    assert_true(x == floor(x));
    assert_non_null(mine);
    assert_string_equal(mine, label);
    n_numeric++;
  }
  assert_int_equal(segkit_codebook_n_labels(cb, v), n_numeric);
}

static void check_missing(const segkit_codebook *cb, size_t v, const json_t *miss) {
  if (miss == NULL) {
    assert_int_equal(untagged_missing_count(cb, v), 0);
    return;
  }
  const char *type = json_string_value(json_object_get(miss, "type"));
  assert_non_null(type);
  if (strcmp(type, "DISCRETE") == 0) {
    const json_t *vals = json_object_get(miss, "values");
    assert_int_equal(untagged_missing_count(cb, v), json_array_size(vals));
    for (size_t i = 0; i < json_array_size(vals); i++) {
      const segkit_missing_code *m = segkit_codebook_missing_at(cb, v, i);
      double x = json_number_value(json_array_get(vals, i));
      assert_true(m->lo == x && m->hi == x);
    }
    return;
  }
  assert_string_equal(type, "RANGE");
  assert_int_equal(untagged_missing_count(cb, v), 1);
  const segkit_missing_code *m = segkit_codebook_missing_at(cb, v, 0);
  assert_true(m->lo == json_number_value(json_object_get(miss, "low")));
  assert_true(m->hi == json_number_value(json_object_get(miss, "high")));
}

static void check_metadata(const char *file, const char *ref_name) {
  char path[512];
  snprintf(path, sizeof path, "%s%s", DATA, ref_name);
  json_error_t jerr;
  json_t *root = json_load_file(path, 0, &jerr);
  if (root == NULL) {
    fail_msg("%s: %s", path, jerr.text);
  }
  snprintf(path, sizeof path, "%s%s", DATA, file);
  segkit_survey_data *d = read_ok(path, NULL);
  const segkit_codebook *cb = segkit_survey_data_codebook(d);
  const json_t *vars = json_object_get(root, "variables");
  assert_int_equal(segkit_codebook_n_variables(cb), json_array_size(vars));
  for (size_t v = 0; v < json_array_size(vars); v++) {
    const json_t *jv = json_array_get(vars, v);
    assert_string_equal(segkit_codebook_name(cb, v),
                        json_string_value(json_object_get(jv, "name")));
    assert_string_equal(segkit_codebook_question(cb, v),
                        json_string_value(json_object_get(jv, "label")));
    const char *type = json_string_value(json_object_get(jv, "type"));
    if (strcmp(type, "STRING") == 0) {
      assert_int_equal(segkit_codebook_type(cb, v), SEGKIT_SURVEY_TEXT);
    } else {
      assert_int_not_equal(segkit_codebook_type(cb, v), SEGKIT_SURVEY_TEXT);
    }
    check_categories(cb, v, json_object_get(jv, "categories"));
    check_missing(cb, v, json_object_get(jv, "missing"));
  }
  segkit_survey_data_free(d);
  json_decref(root);
}

/* ==== tests ============================================================================= */

static void io_survey_readstat_sav_values(void **state) {
  (void)state;
  check_values("panel.sav", "panel_sav_values.csv");
}

static void io_survey_readstat_zsav_values(void **state) {
  (void)state;
  check_values("panel.zsav", "panel_zsav_values.csv");
}

static void io_survey_readstat_dta_values(void **state) {
  (void)state;
  check_values("panel.dta", "panel_dta_values.csv");
}

static void io_survey_readstat_sav_metadata(void **state) {
  (void)state;
  check_metadata("panel.sav", "panel_sav_meta.json");
  /* .zsav holds the same dictionary as .sav (extract_metadata reads only .sav). */
  check_metadata("panel.zsav", "panel_sav_meta.json");
}

static void io_survey_readstat_dta_metadata(void **state) {
  (void)state;
  check_metadata("panel.dta", "panel_dta_meta.json");
}

static void io_survey_readstat_levels_values(void **state) {
  (void)state;
  check_values("levels.sav", "levels_sav_values.csv");
  check_metadata("levels.sav", "levels_sav_meta.json");
}

/* Measurement levels written explicitly by make_levels.c. */
static void io_survey_readstat_levels_types(void **state) {
  (void)state;
  segkit_survey_data *d = read_ok(DATA "levels.sav", NULL);
  const segkit_codebook *cb = segkit_survey_data_codebook(d);
  assert_int_equal(segkit_codebook_type(cb, 0), SEGKIT_SURVEY_LIKERT);
  assert_int_equal(segkit_codebook_type(cb, 1), SEGKIT_SURVEY_SINGLE);
  assert_int_equal(segkit_codebook_type(cb, 2), SEGKIT_SURVEY_SINGLE); /* scale, whole numbers */
  assert_int_equal(segkit_codebook_type(cb, 3), SEGKIT_SURVEY_TEXT);
  /* sat = 1, 3, 9 (user-missing "No answer"), 5, sysmis. */
  const uint16_t sat[5] = {0, 0, 1, 0, SEGKIT_SURVEY_BLANK};
  assert_memory_equal(segkit_survey_data_reasons(d, 0), sat, sizeof sat);
  assert_string_equal(segkit_codebook_missing_at(cb, 0, 0)->reason, "No answer");
  assert_true(isnan(segkit_codebook_range_lo(cb, 0))); /* not exhaustive: no range */
  /* party (nominal) 2.5: not an integer code, always bad. */
  assert_int_equal(segkit_survey_data_n_bad(d), 1);
  const segkit_survey_bad_value *b = segkit_survey_data_bad_at(d, 0);
  assert_int_equal(b->reason, SEGKIT_SURVEY_BAD_NOT_INTEGER);
  assert_int_equal(b->row, 2);
  assert_string_equal(b->variable, "party");
  assert_string_equal(b->value, "2.5");
  segkit_survey_data_free(d);
  /* Exhaustive: sat's range is 1..5 (3 is fine, unlabelled); score's 7 and 3 are unknown
   * codes; party's 2.5 stays bad. Listed in row order. */
  segkit_survey_options opt;
  segkit_survey_options_init(&opt);
  opt.labels_exhaustive = true;
  d = read_ok(DATA "levels.sav", &opt);
  cb = segkit_survey_data_codebook(d);
  assert_true(segkit_codebook_range_lo(cb, 0) == 1.0);
  assert_true(segkit_codebook_range_hi(cb, 0) == 5.0);
  assert_int_equal(segkit_survey_data_n_bad(d), 3);
  assert_string_equal(segkit_survey_data_bad_at(d, 0)->variable, "score");
  assert_int_equal(segkit_survey_data_bad_at(d, 0)->row, 1);
  assert_string_equal(segkit_survey_data_bad_at(d, 1)->variable, "party");
  assert_string_equal(segkit_survey_data_bad_at(d, 2)->variable, "score");
  assert_int_equal(segkit_survey_data_bad_at(d, 2)->row, 3);
  assert_int_equal(segkit_survey_data_n_bad_by_reason(d, SEGKIT_SURVEY_BAD_UNKNOWN_CODE), 2);
  segkit_survey_data_free(d);
}

/* Reasons and types worked out by hand from make_fixtures.R. */
static void io_survey_readstat_sav_reasons(void **state) {
  (void)state;
  segkit_survey_options opt;
  segkit_survey_options_init(&opt);
  opt.id_column = "id";
  segkit_survey_data *d = read_ok(DATA "panel.sav", &opt);
  const segkit_codebook *cb = segkit_survey_data_codebook(d);
  const segkit_table *t = segkit_survey_data_table(d);
  long q1 = segkit_table_column_index(t, "q1");
  long age = segkit_table_column_index(t, "age");
  long rec = segkit_table_column_index(t, "rec");
  assert_int_equal(segkit_table_column_index(t, "id"), 0);
  assert_int_equal(segkit_codebook_type(cb, (size_t)segkit_codebook_find(cb, "q1")),
                   SEGKIT_SURVEY_SINGLE);
  assert_int_equal(segkit_codebook_type(cb, (size_t)segkit_codebook_find(cb, "age")),
                   SEGKIT_SURVEY_NUMERIC);
  assert_int_equal(segkit_column_type(segkit_table_column(t, (size_t)q1)), SEGKIT_TYPE_INT64);
  assert_int_equal(segkit_column_type(segkit_table_column(t, (size_t)age)), SEGKIT_TYPE_FLOAT64);
  size_t v_q1 = (size_t)segkit_codebook_find(cb, "q1");
  const uint16_t *r = segkit_survey_data_reasons(d, (size_t)q1);
  /* q1 = 5, 4, 98, 1, 3, 99, 2, NA; 98 and 99 user-missing, labelled. */
  assert_int_equal(r[0], SEGKIT_SURVEY_ANSWERED);
  assert_string_equal(segkit_codebook_missing_at(cb, v_q1, r[2] - 1)->reason, "Don't know");
  assert_string_equal(segkit_codebook_missing_at(cb, v_q1, r[5] - 1)->reason, "Refused");
  assert_int_equal(r[7], SEGKIT_SURVEY_BLANK);
  /* rec: the range -9..-1 covers -9 and -2; a range's reason is "user missing". */
  r = segkit_survey_data_reasons(d, (size_t)rec);
  size_t v_rec = (size_t)segkit_codebook_find(cb, "rec");
  assert_int_equal(r[2], r[4]);
  assert_string_equal(segkit_codebook_missing_at(cb, v_rec, r[2] - 1)->reason, "user missing");
  assert_true(segkit_survey_data_missing_value(d, (size_t)rec, 4) == -2.0);
  /* age 999 user-missing without a label; NA system missing. */
  r = segkit_survey_data_reasons(d, (size_t)age);
  assert_int_equal(r[2], 1);
  assert_int_equal(r[6], SEGKIT_SURVEY_BLANK);
  /* brand: labelled, but 1.5 in the data and haven's measure is scale: numeric, labels kept,
   * nothing flagged. region: its unlabelled 3 is kept (labels not exhaustive). */
  size_t v_brand = (size_t)segkit_codebook_find(cb, "brand");
  assert_int_equal(segkit_codebook_type(cb, v_brand), SEGKIT_SURVEY_NUMERIC);
  assert_string_equal(segkit_codebook_label(cb, v_brand, 2), "Globex");
  long brand = segkit_table_column_index(t, "brand");
  assert_true(segkit_column_float64(segkit_table_column(t, (size_t)brand))[5] == 1.5);
  long region = segkit_table_column_index(t, "region");
  assert_int_equal(segkit_column_int64(segkit_table_column(t, (size_t)region))[2], 3);
  assert_int_equal(segkit_survey_data_n_bad(d), 0);
  assert_int_equal(segkit_survey_data_n_labels_skipped(d), 0);
  segkit_survey_data_free(d);
}

static void io_survey_readstat_exhaustive_labels(void **state) {
  (void)state;
  segkit_survey_options opt;
  segkit_survey_options_init(&opt);
  opt.labels_exhaustive = true;
  opt.id_column = "id";
  const char *files[2] = {DATA "panel.sav", DATA "panel.dta"};
  for (size_t f = 0; f < 2; f++) {
    segkit_survey_data *d = read_ok(files[f], &opt);
    /* region's 3 (row 2, respondent 1003 when the id is named); brand is numeric. */
    assert_int_equal(segkit_survey_data_n_bad(d), 1);
    const segkit_survey_bad_value *b = segkit_survey_data_bad_at(d, 0);
    assert_int_equal(b->reason, SEGKIT_SURVEY_BAD_UNKNOWN_CODE);
    assert_int_equal(b->row, 2);
    assert_int_equal(b->line, 0);
    assert_string_equal(b->variable, "region");
    assert_string_equal(b->value, "3");
    assert_string_equal(b->respondent, "1003");
    const segkit_table *t = segkit_survey_data_table(d);
    size_t col = (size_t)segkit_table_column_index(t, "region");
    assert_false(segkit_column_is_valid(segkit_table_column(t, col), 2));
    assert_int_equal(segkit_survey_data_reasons(d, col)[2], SEGKIT_SURVEY_BAD);
    segkit_survey_data_free(d);
  }
  opt.on_error = SEGKIT_ON_ERROR_FAIL;
  segkit_survey_data *d = NULL;
  segkit_error err;
  assert_int_equal(segkit_survey_read_file(DATA "panel.sav", &opt, &d, &err), SEGKIT_ERR_PARSE);
  assert_null(d);
  assert_string_equal(err.field, "region");
  assert_non_null(strstr(err.file, "panel.sav"));
  assert_non_null(strstr(err.message, "row 3"));
}

static void io_survey_readstat_dta_tags(void **state) {
  (void)state;
  segkit_survey_data *d = read_ok(DATA "panel.dta", NULL);
  const segkit_codebook *cb = segkit_survey_data_codebook(d);
  const segkit_table *t = segkit_survey_data_table(d);
  size_t q1 = (size_t)segkit_table_column_index(t, "q1");
  size_t age = (size_t)segkit_table_column_index(t, "age");
  size_t vq = (size_t)segkit_codebook_find(cb, "q1");
  size_t va = (size_t)segkit_codebook_find(cb, "age");
  const uint16_t *r = segkit_survey_data_reasons(d, q1);
  /* q1 = 5, 4, .a, 1, 3, .b, 2, . */
  assert_int_equal(segkit_codebook_missing_at(cb, vq, r[2] - 1)->tag, 'a');
  assert_string_equal(segkit_codebook_missing_at(cb, vq, r[2] - 1)->reason, "Don't know");
  assert_int_equal(segkit_codebook_missing_at(cb, vq, r[5] - 1)->tag, 'b');
  assert_int_equal(r[7], SEGKIT_SURVEY_BLANK);
  /* age = ..., .c (no label: reason ".c"), ..., . */
  r = segkit_survey_data_reasons(d, age);
  assert_int_equal(segkit_codebook_missing_at(cb, va, r[2] - 1)->tag, 'c');
  assert_string_equal(segkit_codebook_missing_at(cb, va, r[2] - 1)->reason, ".c");
  assert_int_equal(r[6], SEGKIT_SURVEY_BLANK);
  /* The codebook survives JSON. */
  char *json = NULL;
  segkit_error err;
  assert_int_equal(segkit_codebook_to_json(cb, &json, &err), SEGKIT_OK);
  segkit_codebook *back = NULL;
  assert_int_equal(segkit_codebook_from_json(json, strlen(json), &back, &err), SEGKIT_OK);
  assert_int_equal(segkit_codebook_missing_at(back, vq, 0)->tag, 'a');
  segkit_codebook_free(back);
  free(json);
  segkit_survey_data_free(d);
}

/* ==== hostile files ===================================================================== */

static void expect_file_error(const char *path) {
  segkit_survey_data *d = NULL;
  segkit_error err;
  segkit_error_clear(&err);
  segkit_status st = segkit_survey_read_file(path, NULL, &d, &err);
  if (st == SEGKIT_OK) {
    fail_msg("%s was read without an error", path);
  }
  assert_null(d);
  assert_int_equal(err.code, st);
  assert_string_equal(err.file, path);
  assert_true(err.message[0] != '\0');
}

static char *write_prefix(const char *dir, const char *name, const char *src, size_t n) {
  size_t size = 0;
  char *all = tu_read_file(src, &size);
  assert_non_null(all);
  char *p = tu_write_file(dir, name, all, n < size ? n : size);
  free(all);
  return p;
}

static void io_survey_readstat_hostile(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char *empty_sav = tu_write_file(dir, "empty.sav", "", 0);
  char *empty_dta = tu_write_file(dir, "empty.dta", "", 0);
  const char *text = "id,q1\n1,2\n";
  char *text_sav = tu_write_file(dir, "text.sav", text, strlen(text));
  char *text_dta = tu_write_file(dir, "text.dta", text, strlen(text));
  char *trunc_sav = write_prefix(dir, "trunc.sav", DATA "panel.sav", 400);
  char *trunc_dta = write_prefix(dir, "trunc.dta", DATA "panel.dta", 1000);
  const char *paths[] = {empty_sav, empty_dta, text_sav, text_dta, trunc_sav, trunc_dta,
                         "/nonexistent/x.sav"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    expect_file_error(paths[i]);
  }
  segkit_error err;
  segkit_survey_data *d = NULL;
  assert_int_equal(segkit_survey_read_file(empty_sav, NULL, &d, &err), SEGKIT_ERR_PARSE);
  assert_non_null(strstr(err.message, "empty file"));
  assert_int_equal(segkit_survey_read_file(text_sav, NULL, &d, &err), SEGKIT_ERR_PARSE);
  assert_int_equal(segkit_survey_read_file("/nonexistent/x.sav", NULL, &d, &err),
                   SEGKIT_ERR_NOT_FOUND);
  assert_int_equal(segkit_survey_read_file(DATA "codebook.csv", NULL, &d, &err),
                   SEGKIT_ERR_USAGE);
  /* A directory named like a survey file. */
  char *sub = tu_path_join(dir, "folder.sav");
  assert_int_equal(mkdir(sub, 0700), 0);
  expect_file_error(sub);
  free(sub);
  free(empty_sav);
  free(empty_dta);
  free(text_sav);
  free(text_dta);
  free(trunc_sav);
  free(trunc_dta);
  tu_rmtree(dir);
  free(dir);
}

/* Every 5th truncation of each fixture: an error naming the file; never a crash or a
 * sanitizer report. (ReadStat alone accepts a .dta cut inside its value labels: the
 * reader checks the closing tag.) */
static void io_survey_readstat_every_truncation(void **state) {
  (void)state;
  const char *files[4] = {DATA "panel.sav", DATA "panel.zsav", DATA "panel.dta",
                          DATA "levels.sav"};
  const char *names[4] = {"t.sav", "t.zsav", "t.dta", "t.sav"};
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  for (size_t f = 0; f < 4; f++) {
    size_t size = 0;
    char *all = tu_read_file(files[f], &size);
    assert_non_null(all);
    size_t n_failed = 0;
    size_t n_tried = 0;
    for (size_t n = 0; n < size; n += 5) {
      n_tried++;
      char *p = tu_write_file(dir, names[f], all, n);
      segkit_survey_data *d = NULL;
      segkit_error err;
      segkit_error_clear(&err);
      segkit_status st = segkit_survey_read_file(p, NULL, &d, &err);
      if (st != SEGKIT_OK) {
        assert_null(d);
        assert_string_equal(err.file, p);
        n_failed++;
      }
      segkit_survey_data_free(d);
      free(p);
    }
    assert_int_equal(n_failed, n_tried);
    free(all);
  }
  tu_rmtree(dir);
  free(dir);
}

/* ==== drift ============================================================================= */

static void io_survey_readstat_reference_has_not_drifted(void **state) {
  (void)state;
  if (system("command -v readstat >/dev/null 2>&1 && command -v extract_metadata >/dev/null "
             "2>&1") != 0) {
    skip();
  }
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "sh '%smake_reference.sh' '%s' >/dev/null 2>&1", DATA, dir);
  assert_int_equal(system(cmd), 0);
  const char *files[7] = {"panel_sav_values.csv", "panel_zsav_values.csv",
                          "panel_dta_values.csv", "panel_sav_meta.json",
                          "panel_dta_meta.json",  "levels_sav_values.csv",
                          "levels_sav_meta.json"};
  for (size_t i = 0; i < 7; i++) {
    char committed[512];
    snprintf(committed, sizeof committed, "%s%s", DATA, files[i]);
    char *fresh = tu_path_join(dir, files[i]);
    char why[512];
    long n = tu_compare_tokens(committed, fresh, 0.0, 0.0, why, sizeof why);
    if (n <= 0) {
      fail_msg("%s drifted: %s", files[i], why);
    }
    free(fresh);
  }
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(io_survey_readstat_sav_values),
      cmocka_unit_test(io_survey_readstat_zsav_values),
      cmocka_unit_test(io_survey_readstat_dta_values),
      cmocka_unit_test(io_survey_readstat_sav_metadata),
      cmocka_unit_test(io_survey_readstat_dta_metadata),
      cmocka_unit_test(io_survey_readstat_levels_values),
      cmocka_unit_test(io_survey_readstat_levels_types),
      cmocka_unit_test(io_survey_readstat_sav_reasons),
      cmocka_unit_test(io_survey_readstat_exhaustive_labels),
      cmocka_unit_test(io_survey_readstat_dta_tags),
      cmocka_unit_test(io_survey_readstat_hostile),
      cmocka_unit_test(io_survey_readstat_every_truncation),
      cmocka_unit_test(io_survey_readstat_reference_has_not_drifted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
