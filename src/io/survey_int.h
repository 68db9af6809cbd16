/* survey_int.h: private interfaces of the survey readers (src/io/survey_*.c).
 *
 *   survey_codebook.c   the codebook object, its getters and its JSON form
 *   survey_cbfile.c     the codebook file parser (CSV, with line/column errors)
 *   survey_data.c       the result object: table, codebook, null reasons, bad values
 *   survey_csv.c        CSV responses + codebook, on top of the CSV reader
 *   survey_readstat.c   SPSS / Stata files through ReadStat's callbacks
 *
 * Readers fill a sk__survey_acc (one per table column: reasons, raw missing values) and a
 * bad-value list, then hand everything to sk__survey_data_new. */
#ifndef SEGKIT_SURVEY_INT_H
#define SEGKIT_SURVEY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/survey_file.h"

/* Longest value copied into a bad-value entry or message (longer ones are cut). */
#define SK__SV_VALUE_MAX 200
/* Default ceiling on listed bad values. */
#define SK__SV_MAX_BAD_LISTED 100000

/* ==== survey_codebook.c ================================================================ */

typedef struct sk__sv_var {
  char *name;
  char *question;
  segkit_survey_type type;
  segkit_value_label *labels;    /* ascending code; label strings owned */
  size_t n_labels, cap_labels;
  segkit_missing_code *missing;  /* reason strings owned */
  size_t n_missing, cap_missing;
  double lo, hi;                 /* valid range, NaN = unbounded */
  bool exhaustive;
  int64_t line;                  /* codebook file line, 0 if none */
} sk__sv_var;

struct segkit_codebook {
  sk__sv_var *v;
  size_t n, cap;
};

/* Record where a variable came from in a codebook file. */
void sk__codebook_set_line(segkit_codebook *cb, size_t var, int64_t line);
/* A codebook from the questionnaire JSON format (survey_questionnaire.c); file names the
 * source in errors. */
segkit_status sk__codebook_from_questionnaire(const char *data, size_t size, const char *file,
                                              segkit_codebook **out, segkit_error *err);
/* Deep copy. */
segkit_status sk__codebook_clone(const segkit_codebook *cb, segkit_codebook **out,
                                 segkit_error *err);
/* Whether `code` is among the non-missing labelled codes. */
bool sk__codebook_has_label(const segkit_codebook *cb, size_t var, int64_t code);

/* ==== survey_data.c ==================================================================== */

/* Per table column: the variable it belongs to, why each row is null, and the value a
 * missing code had (so a user-missing 98 or a value inside an SPSS range is not lost). */
typedef struct sk__survey_col {
  long var;             /* codebook variable, -1 none */
  int64_t option;       /* multi: the option code */
  uint16_t *reasons;    /* n_rows entries, or NULL (column without a variable) */
  double *missing_values; /* n_rows entries (NaN where not a missing code), or NULL */
} sk__survey_col;

typedef struct sk__bad_list {
  segkit_survey_bad_value *v;    /* strings point into per-entry blocks */
  size_t n, cap;
  size_t n_counted;
  size_t by_reason[SEGKIT_SURVEY_BAD_COUNT];
  size_t max_listed;
} sk__bad_list;

void sk__bad_list_free(sk__bad_list *l);
/* Count a bad value and list it while under the ceiling (strings copied; any may be
 * NULL). false on allocation failure. */
bool sk__bad_list_add(sk__bad_list *l, int64_t row, int64_t line, const char *respondent,
                      const char *variable, const char *value, segkit_survey_bad_reason r,
                      const char *message);

struct segkit_survey_data {
  segkit_table *table;
  segkit_codebook *codebook;
  sk__survey_col *cols;    /* one per table column */
  size_t n_cols;
  size_t n_rows;
  sk__bad_list bad;
  size_t n_labels_skipped;
};

/* A result with n_cols zeroed columns (var -1); the caller fills the rest. */
segkit_status sk__survey_data_alloc(size_t n_cols, segkit_survey_data **out,
                                    segkit_error *err);

/* Print a value for messages: at most SK__SV_VALUE_MAX bytes, control bytes escaped. */
void sk__sv_quote(char *dst, size_t size, const char *s, size_t n);

/* Shared options handling. */
void sk__survey_options_resolve(const segkit_survey_options *in, segkit_survey_options *out);

#endif
