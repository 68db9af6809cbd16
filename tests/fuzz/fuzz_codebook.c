/* libFuzzer target for the survey codebook parser (src/io/survey_cbfile.c) and the CSV
 * survey reader that applies a codebook (src/io/survey_csv.c).
 *
 * The input is a codebook, optionally followed by a line "---" and a responses CSV. The
 * codebook is parsed; a failure must come with an error code, a message and a line >= 1.
 * A codebook that parses must survive JSON: to_json -> from_json -> to_json gives the same
 * text. With responses, the survey reader runs in QUARANTINE and FAIL modes; on success
 * the promises checked are: listed bad values <= counted, every reason array entry is
 * ANSWERED, BLANK, BAD or a valid missing-code index, and a non-null cell never has a
 * null reason. A broken promise aborts.
 *
 * Build: CC=clang cmake -S . -B build/fuzz -DSEGKIT_FUZZ=ON && cmake --build build/fuzz
 * --target fuzz_codebook; run: build/fuzz/tests/fuzz_codebook tests/fuzz/corpus/codebook
 * -max_total_time=60 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survey_file.h"

static void check_json(const segkit_codebook *cb) {
  char *a = NULL;
  char *b = NULL;
  segkit_codebook *back = NULL;
  if (segkit_codebook_to_json(cb, &a, NULL) != SEGKIT_OK) {
    return; /* out of memory only */
  }
  if (segkit_codebook_from_json(a, strlen(a), &back, NULL) != SEGKIT_OK) {
    abort();
  }
  if (segkit_codebook_to_json(back, &b, NULL) != SEGKIT_OK || strcmp(a, b) != 0) {
    abort();
  }
  free(a);
  free(b);
  segkit_codebook_free(back);
}

static void check_data(const segkit_survey_data *d) {
  if (segkit_survey_data_n_bad_listed(d) > segkit_survey_data_n_bad(d)) {
    abort();
  }
  const segkit_table *t = segkit_survey_data_table(d);
  const segkit_codebook *cb = segkit_survey_data_codebook(d);
  for (size_t c = 0; c < segkit_table_n_cols(t); c++) {
    const uint16_t *r = segkit_survey_data_reasons(d, c);
    long var = segkit_survey_data_variable_of(d, c, NULL);
    if (r == NULL) {
      continue;
    }
    size_t n_missing = segkit_codebook_n_missing(cb, (size_t)var);
    const segkit_column *col = segkit_table_column(t, c);
    for (size_t i = 0; i < segkit_table_n_rows(t); i++) {
      bool valid = segkit_column_is_valid(col, i);
      bool ok = r[i] == SEGKIT_SURVEY_ANSWERED ? valid
                : r[i] == SEGKIT_SURVEY_BLANK || r[i] == SEGKIT_SURVEY_BAD
                    ? !valid
                    : !valid && r[i] <= n_missing;
      if (!ok) {
        abort();
      }
    }
  }
}

static void run_responses(const segkit_codebook *cb, const char *data, size_t size) {
  segkit_on_error modes[2] = {SEGKIT_ON_ERROR_QUARANTINE, SEGKIT_ON_ERROR_FAIL};
  for (int m = 0; m < 2; m++) {
    segkit_survey_options opt;
    segkit_survey_options_init(&opt);
    opt.on_error = modes[m];
    opt.max_bad_listed = 8;
    segkit_survey_data *d = NULL;
    segkit_error err;
    segkit_status st = segkit_survey_read_csv_buffer(data, size, "fuzz.csv", cb, &opt, &d, &err);
    if (st == SEGKIT_OK) {
      check_data(d);
      segkit_survey_data_free(d);
    } else if (d != NULL || err.code != st) {
      abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  size_t cb_len = size;
  const char *responses = NULL;
  size_t r_len = 0;
  for (size_t i = 0; i + 5 <= size; i++) {
    if (memcmp(text + i, "\n---\n", 5) == 0) {
      cb_len = i + 1;
      responses = text + i + 5;
      r_len = size - i - 5;
      break;
    }
  }
  segkit_codebook *cb = NULL;
  segkit_error err;
  segkit_status st = segkit_codebook_read_buffer(text, cb_len, "fuzz_codebook.csv", &cb, &err);
  if (st != SEGKIT_OK) {
    /* a parse error points at a line (CSV codebooks, JSON syntax) or, for a JSON
     * questionnaire's content, at the JSON path in err.field (questions[3].values) */
    if (cb != NULL || err.code != st || err.message[0] == '\0' ||
        (st == SEGKIT_ERR_PARSE && err.line < 1 && err.field[0] == '\0')) {
      abort();
    }
    return 0;
  }
  check_json(cb);
  if (responses != NULL) {
    run_responses(cb, responses, r_len);
  }
  segkit_codebook_free(cb);
  return 0;
}
