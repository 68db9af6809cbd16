/* segkit/survey_file.h: survey responses with their codebook (part of the io module).
 *
 * Research panels deliver survey data either as a CSV of responses plus a codebook, or as
 * SPSS (.sav, .zsav) / Stata (.dta) files that carry the codebook inside (read through
 * ReadStat). Both roads end in the same place: a segkit_survey_data holding
 *   - a segkit_table of the responses: coded questions (single choice, Likert) as INT64
 *     codes, numeric questions as FLOAT64, open text as STRING; the respondent id column
 *     first when one is named;
 *   - a segkit_codebook: per variable its question text, type, value labels, missing codes
 *     (with their reasons), valid range;
 *   - why each null is null: a missing code ("don't know", "refused", an SPSS user-missing
 *     value or range, a Stata extended missing .a-.z), a blank / system-missing cell, or a
 *     bad value. A crosstab can therefore show "don't know" as its own row;
 *   - the bad values: every value that did not fit its question (a 7 on a 1-5 scale, a code
 *     with no label, text in a numeric question), one entry per respondent and question,
 *     with the row, the file line (CSV) and the respondent id. A bad value becomes a null
 *     in the table and is counted and listed: nothing is dropped silently.
 *
 * ---- The codebook file (for CSV responses) -------------------------------------------
 * A CSV file (RFC 4180, UTF-8, comma-separated) with this header, in this order:
 *
 *     variable,question,type,code,label,missing
 *
 * Two kinds of rows:
 *   - a variable row: `code` and `missing` empty; `variable` names the response column,
 *     `question` is the question text (may be empty), `label` is empty (numeric and likert:
 *     or a range, below), `type` one of
 *       single    single choice, stored as an integer code; the labels are the answers,
 *                 so any other code is bad (UNKNOWN_CODE);
 *       multi     multiple choice, stored as one 0/1 column per option named
 *                 <variable>_<code> (q5_1, q5_2, ... as Qualtrics exports and SPSS
 *                 multiple-dichotomy sets do; chosen over a delimited "1;3" list because
 *                 each option is then an ordinary column a crosstab or a model can use):
 *                 1 = chosen, 0 = not chosen, blank = not asked, anything else but a
 *                 missing code is bad (NOT_BINARY);
 *       likert    an ordered scale; its valid range is the lowest to the highest labelled
 *                 (non-missing) code, or the range min..max given in `label`, and every
 *                 code in it is valid even if it has no label (a 1-7 scale labelled only
 *                 at its ends); codes outside are bad (OUT_OF_RANGE);
 *       numeric   a number (float64); `label` may hold the valid range as "min..max"
 *                 (either side may be empty: "0.." = at least 0);
 *       text      open text, kept as it is.
 *   - a code row: `variable` names a variable defined by an earlier variable row, `question`
 *     and `type` are empty, `code` is an integer, `label` its label, and `missing` is empty
 *     for a real answer or the reason the code means "no answer" (don't know, refused,
 *     not applicable, ...); a missing code's label may be empty (its reason labels it).
 *     Missing codes may be given for every type but text, including numeric (a 999 age),
 *     and become nulls with that reason.
 * single, multi and likert need at least one non-missing code row; text takes none.
 * Lines starting with '#' and blank lines are ignored. Every error names the codebook
 * file, line, column and what was expected.
 *
 *     variable,question,type,code,label,missing
 *     id,Respondent,text,,,
 *     q1,How satisfied are you?,likert,,,
 *     q1,,,1,Very dissatisfied,
 *     q1,,,5,Very satisfied,
 *     q1,,,98,Don't know,don't know
 *     q2,Which brands do you know?,multi,,,
 *     q2,,,1,Acme,
 *     q2,,,2,Globex,
 *     age,Age,numeric,,18..99,
 *     age,,,999,Refused,refused
 *
 * Response columns that the codebook does not name are kept with the types the CSV reader
 * infers (the id column too); a codebook variable (or multi option) with no response
 * column is an error naming the codebook line. Values are trimmed of spaces; a blank cell
 * (or "NA", "N/A", "NULL", "null") is a null with reason BLANK. Text in a coded or numeric
 * question is NOT_A_NUMBER, a non-whole number in a coded one NOT_INTEGER, a number
 * outside a numeric's range OUT_OF_RANGE.
 *
 * A codebook file may also be JSON in the questionnaire format `segkit generate` writes
 * (a file whose first non-blank byte is '{'): {"questions": [{"name", "column", "type":
 * single_choice | multiple_choice | likert | numeric | open_text, "text", "values":
 * {"code": "label"}, "missing": {"code": "reason"}, "scale": {"min", "max"} (likert),
 * "min", "max" (numeric), "options": [{"column": "<name>_<code>", "label"}] (multiple
 * choice)}]}; errors name the JSON path (questions[3].values). src/io/survey_questionnaire.c.
 *
 * ---- SPSS and Stata files --------------------------------------------------------------
 * Variable label -> question text; value labels -> codes; SPSS user-missing values and
 * ranges -> missing codes (reason: the code's value label when it has one, else "user
 * missing"); Stata extended missing values .a-.z -> missing codes with a tag (reason: the
 * tag's value label, else ".a" ...). Type: string variables -> text; a numeric variable
 * with value labels on at least one non-missing whole number is coded: likert when SPSS
 * says its measurement level is ordinal, single when nominal; when the level is scale or
 * unknown (Stata has none, and R's haven writes every number as scale) it is single only
 * if every non-missing value in the file is a whole number, else numeric (labels kept in
 * the codebook): a labelled real numeric is never flagged. Numeric variables without
 * such labels -> numeric. System-missing (.) -> null, reason BLANK. SPSS and Stata value
 * labels are not declared exhaustive (a label set often names only the ends of a scale,
 * or only the missing codes), so by default unlabelled codes are kept as they are, not
 * flagged; a caller who knows the labels are complete sets
 * segkit_survey_options.labels_exhaustive, and then a single-choice variable's unlabelled
 * codes are bad values (UNKNOWN_CODE) and a likert's codes outside its lowest..highest
 * label are (OUT_OF_RANGE: scales are often labelled only at their ends). A non-integer value in a variable declared nominal or
 * ordinal is always bad (NOT_INTEGER). Labels on string values and non-integer label
 * values are not carried into the codebook (counted in
 * segkit_survey_data_n_labels_skipped). Numeric variables are never checked. Bad values
 * of .sav/.dta files have line 0 and name the row (row + 1 in messages).
 *
 * Ownership: the caller frees what _new / _read / _from_json return with the matching
 * _free. Pointers from getters borrow from their object and die with it. Objects are
 * read-only once returned, so any number of threads may read them. */
#ifndef SEGKIT_SURVEY_FILE_H
#define SEGKIT_SURVEY_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/io.h"
#include "segkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== the codebook ===================================================================== */

typedef enum segkit_survey_type {
  SEGKIT_SURVEY_SINGLE = 0,
  SEGKIT_SURVEY_MULTI,
  SEGKIT_SURVEY_LIKERT,
  SEGKIT_SURVEY_NUMERIC,
  SEGKIT_SURVEY_TEXT,
  SEGKIT_SURVEY_TYPE_COUNT
} segkit_survey_type;

/* "single", "multi", "likert", "numeric", "text"; "?" when out of range. */
SEGKIT_API const char *segkit_survey_type_name(segkit_survey_type t);
/* Exact lower-case names above; SEGKIT_ERR_PARSE otherwise. */
SEGKIT_API segkit_status segkit_survey_type_parse(const char *name, segkit_survey_type *out,
                                                  segkit_error *err);

typedef struct segkit_codebook segkit_codebook;

/* One value label. */
typedef struct segkit_value_label {
  int64_t code;
  const char *label;
} segkit_value_label;

/* One missing code: the values lo..hi (lo == hi for a single code; SPSS ranges may be
 * -inf / +inf for LO / HI), or a Stata extended missing value (tag 'a'..'z', lo and hi
 * NaN). reason: why there is no answer ("don't know", "refused", "user missing"). */
typedef struct segkit_missing_code {
  double lo;
  double hi;
  char tag;
  const char *reason;
} segkit_missing_code;

SEGKIT_API segkit_status segkit_codebook_new(segkit_codebook **out, segkit_error *err);
SEGKIT_API void segkit_codebook_free(segkit_codebook *cb);

/* Building (the readers use these; so may a caller). Names are unique
 * (SEGKIT_ERR_EXISTS); label codes unique per variable (SEGKIT_ERR_EXISTS). Strings are
 * copied. *index_out (may be NULL) gets the new variable's index. */
SEGKIT_API segkit_status segkit_codebook_add_variable(segkit_codebook *cb, const char *name,
                                                      const char *question,
                                                      segkit_survey_type type,
                                                      size_t *index_out, segkit_error *err);
SEGKIT_API segkit_status segkit_codebook_add_label(segkit_codebook *cb, size_t var,
                                                   int64_t code, const char *label,
                                                   segkit_error *err);
SEGKIT_API segkit_status segkit_codebook_add_missing(segkit_codebook *cb, size_t var,
                                                     const segkit_missing_code *m,
                                                     segkit_error *err);
/* Valid range [lo, hi] of a numeric or likert variable (NaN = no bound). */
SEGKIT_API segkit_status segkit_codebook_set_range(segkit_codebook *cb, size_t var, double lo,
                                                   double hi, segkit_error *err);
/* Whether the value labels of a single / likert variable list every valid code (codebook
 * files: yes for single; .sav/.dta: only if the caller says so). */
SEGKIT_API segkit_status segkit_codebook_set_exhaustive(segkit_codebook *cb, size_t var,
                                                        bool exhaustive, segkit_error *err);

/* Getters. Out-of-range indexes give 0 / NULL / NaN. */
SEGKIT_API size_t segkit_codebook_n_variables(const segkit_codebook *cb);
/* Index of a variable by exact name, or -1. */
SEGKIT_API long segkit_codebook_find(const segkit_codebook *cb, const char *name);
SEGKIT_API const char *segkit_codebook_name(const segkit_codebook *cb, size_t var);
SEGKIT_API const char *segkit_codebook_question(const segkit_codebook *cb, size_t var);
SEGKIT_API segkit_survey_type segkit_codebook_type(const segkit_codebook *cb, size_t var);
SEGKIT_API size_t segkit_codebook_n_labels(const segkit_codebook *cb, size_t var);
/* Labels in ascending code order. */
SEGKIT_API const segkit_value_label *segkit_codebook_label_at(const segkit_codebook *cb,
                                                             size_t var, size_t i);
/* Label of a code, or NULL. */
SEGKIT_API const char *segkit_codebook_label(const segkit_codebook *cb, size_t var,
                                             int64_t code);
SEGKIT_API size_t segkit_codebook_n_missing(const segkit_codebook *cb, size_t var);
/* Missing codes in the order they were added (the reason index of the data is i + 1). */
SEGKIT_API const segkit_missing_code *segkit_codebook_missing_at(const segkit_codebook *cb,
                                                                size_t var, size_t i);
/* Index (0-based) of the missing code a value falls in, or -1. */
SEGKIT_API long segkit_codebook_missing_find(const segkit_codebook *cb, size_t var, double v);
SEGKIT_API double segkit_codebook_range_lo(const segkit_codebook *cb, size_t var);
SEGKIT_API double segkit_codebook_range_hi(const segkit_codebook *cb, size_t var);
SEGKIT_API bool segkit_codebook_exhaustive(const segkit_codebook *cb, size_t var);
/* 1-based line of the variable's row in the codebook file it came from (0 if none). */
SEGKIT_API int64_t segkit_codebook_line(const segkit_codebook *cb, size_t var);

/* Parse a codebook file (format above). Errors: SEGKIT_ERR_NOT_FOUND / SEGKIT_ERR_IO (cannot
 * open, as segkit_csv_read),
 * SEGKIT_ERR_PARSE with file, line, column, field and "(expected ...)". */
SEGKIT_API segkit_status segkit_codebook_read(const char *path, segkit_codebook **out,
                                              segkit_error *err);
/* The same on bytes in memory; name is used in errors (NULL = "<codebook>"). */
SEGKIT_API segkit_status segkit_codebook_read_buffer(const char *data, size_t size,
                                                     const char *name, segkit_codebook **out,
                                                     segkit_error *err);

/* JSON form, for the workspace:
 *   {"version":1,"variables":[{"name":..,"question":..,"type":"likert",
 *     "labels":[{"code":1,"label":".."}],
 *     "missing":[{"lo":98,"hi":98,"reason":".."} | {"tag":"a","reason":".."}],
 *     "range":[lo|null,hi|null],"exhaustive":true}]}
 * Infinite range ends of SPSS missing ranges are written as the strings "-inf" / "inf".
 * *json_out is malloc'd, NUL-terminated; the caller frees it with free(). */
SEGKIT_API segkit_status segkit_codebook_to_json(const segkit_codebook *cb, char **json_out,
                                                 segkit_error *err);
/* Back from that JSON; every inconsistency is SEGKIT_ERR_PARSE naming the variable. */
SEGKIT_API segkit_status segkit_codebook_from_json(const char *json, size_t len,
                                                   segkit_codebook **out, segkit_error *err);

/* ==== reading responses ================================================================ */

/* Why a value was bad. */
typedef enum segkit_survey_bad_reason {
  SEGKIT_SURVEY_BAD_NOT_A_NUMBER = 0, /* text where a code or number was expected */
  SEGKIT_SURVEY_BAD_NOT_INTEGER,      /* a coded question with a non-integer value */
  SEGKIT_SURVEY_BAD_UNKNOWN_CODE,     /* a code with no label (exhaustive labels only) */
  SEGKIT_SURVEY_BAD_OUT_OF_RANGE,     /* outside a scale's or numeric's valid range */
  SEGKIT_SURVEY_BAD_NOT_BINARY,       /* a multiple-choice option column not 0 or 1 */
  SEGKIT_SURVEY_BAD_ROW,              /* the whole CSV row was rejected (field count,
                                         quoting, UTF-8): see message */
  SEGKIT_SURVEY_BAD_COUNT
} segkit_survey_bad_reason;

/* "not_a_number", "not_integer", "unknown_code", "out_of_range", "not_binary", "bad_row". */
SEGKIT_API const char *segkit_survey_bad_reason_id(segkit_survey_bad_reason r);

typedef struct segkit_survey_bad_value {
  int64_t row;            /* 0-based row of the respondent in the table; -1 for BAD_ROW
                             (the row is not in the table) */
  int64_t line;           /* 1-based line in the responses CSV (0 for .sav/.dta) */
  const char *respondent; /* the respondent's id as text, or NULL (no id column / BAD_ROW) */
  const char *variable;   /* the table column (multi: "q2_3"), or NULL for BAD_ROW */
  const char *value;      /* the value as written (.sav/.dta: printed with %.17g) */
  segkit_survey_bad_reason reason;
  const char *message;    /* what is wrong (what was expected) */
} segkit_survey_bad_value;

typedef struct segkit_survey_options {
  const char *id_column;   /* respondent id column (kept first, as it is); NULL = none */
  /* FAIL: the first bad value ends the read with SEGKIT_ERR_PARSE at file:line, field =
   * the column. SKIP or QUARANTINE (default): bad values become nulls, are counted and
   * are listed (segkit_survey_data_bad_at). */
  segkit_on_error on_error;
  bool labels_exhaustive;  /* .sav/.dta: treat value labels as complete (see above) */
  size_t max_bad_listed;   /* bad values listed at most (all are counted); default 100000 */
} segkit_survey_options;

SEGKIT_API void segkit_survey_options_init(segkit_survey_options *opt);

typedef struct segkit_survey_data segkit_survey_data;

/* CSV responses + a codebook (copied into the result). Errors: as segkit_csv_read, plus
 * SEGKIT_ERR_SCHEMA for a codebook variable with no column / an id column that is not
 * there, SEGKIT_ERR_PARSE for the first bad value under FAIL. */
SEGKIT_API segkit_status segkit_survey_read_csv(const char *path, const segkit_codebook *cb,
                                                const segkit_survey_options *opt,
                                                segkit_survey_data **out, segkit_error *err);
SEGKIT_API segkit_status segkit_survey_read_csv_buffer(const char *data, size_t size,
                                                       const char *name,
                                                       const segkit_codebook *cb,
                                                       const segkit_survey_options *opt,
                                                       segkit_survey_data **out,
                                                       segkit_error *err);
/* SPSS .sav / .zsav or Stata .dta (chosen by the extension, case-insensitive), through
 * ReadStat. Columns come in file order (the id column first when named); bad values have
 * line 0 and are named by row. Errors name the file: SEGKIT_ERR_NOT_FOUND / SEGKIT_ERR_IO
 * (cannot open), SEGKIT_ERR_PARSE (empty, not such a file, truncated: ReadStat's message;
 * a Stata 13+ file must end with its </stata_dta> tag, since ReadStat alone accepts one cut
 * inside its value labels), SEGKIT_ERR_SCHEMA (no such id variable), SEGKIT_ERR_USAGE
 * (other extension). Not carried: SPSS user-missing values of string variables, SPSS
 * multiple-response sets (each dichotomy arrives as its own variable), and date formats
 * (dates come as the numbers the file holds). */
SEGKIT_API segkit_status segkit_survey_read_file(const char *path,
                                                 const segkit_survey_options *opt,
                                                 segkit_survey_data **out, segkit_error *err);
SEGKIT_API void segkit_survey_data_free(segkit_survey_data *d);

SEGKIT_API const segkit_table *segkit_survey_data_table(const segkit_survey_data *d);
/* The table, now owned by the caller (the rest of the result stays valid). */
SEGKIT_API segkit_table *segkit_survey_data_take_table(segkit_survey_data *d);
SEGKIT_API const segkit_codebook *segkit_survey_data_codebook(const segkit_survey_data *d);
/* The codebook, now owned by the caller. */
SEGKIT_API segkit_codebook *segkit_survey_data_take_codebook(segkit_survey_data *d);

/* Codebook variable of table column col, or -1 (id column, columns not in the codebook).
 * For a multi-choice option column, *option_code (may be NULL) gets the option's code. */
SEGKIT_API long segkit_survey_data_variable_of(const segkit_survey_data *d, size_t col,
                                               int64_t *option_code);

/* Why each value of column col is null, one entry per row:
 *   SEGKIT_SURVEY_ANSWERED (0)  a value (not null)
 *   SEGKIT_SURVEY_BLANK         blank cell / system missing, no reason given
 *   SEGKIT_SURVEY_BAD           a bad value (listed)
 *   k >= 1                      the variable's missing code k - 1 (segkit_codebook_missing_at)
 * NULL for a column that has no codebook variable. Borrowed from d. */
#define SEGKIT_SURVEY_ANSWERED 0
#define SEGKIT_SURVEY_BLANK 0xFFFEu
#define SEGKIT_SURVEY_BAD 0xFFFFu
SEGKIT_API const uint16_t *segkit_survey_data_reasons(const segkit_survey_data *d, size_t col);
/* Rows of column col whose reason is `reason` (one of the values above). */
SEGKIT_API size_t segkit_survey_data_reason_count(const segkit_survey_data *d, size_t col,
                                                  uint16_t reason);
/* The value a cell held when it was a missing code (98, or -3 inside an SPSS range
 * -9..-1), so nothing the file said is lost; NaN when the cell is not a missing code, for
 * Stata tagged missing values (they have no number) and out-of-range arguments. */
SEGKIT_API double segkit_survey_data_missing_value(const segkit_survey_data *d, size_t col,
                                                   size_t row);

SEGKIT_API size_t segkit_survey_data_n_bad(const segkit_survey_data *d);  /* counted */
SEGKIT_API size_t segkit_survey_data_n_bad_listed(const segkit_survey_data *d);
SEGKIT_API const segkit_survey_bad_value *segkit_survey_data_bad_at(const segkit_survey_data *d,
                                                                     size_t i);
SEGKIT_API size_t segkit_survey_data_n_bad_by_reason(const segkit_survey_data *d,
                                                     segkit_survey_bad_reason r);
/* .sav/.dta: value labels not carried into the codebook (string or non-integer values). */
SEGKIT_API size_t segkit_survey_data_n_labels_skipped(const segkit_survey_data *d);

#ifdef __cplusplus
}
#endif
#endif
