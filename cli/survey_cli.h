/* survey_cli.h: the parts of segkit survey shared by its files: questions as codes. */
#ifndef SEGKIT_CLI_SURVEY_CLI_H
#define SEGKIT_CLI_SURVEY_CLI_H

#include <stdint.h>

#include "cli.h"
#include "segkit/survey.h"
#include "segkit/survey_file.h"

enum { SURVEY_MAX_LEVELS = 1000 };

/* A question's answers as codes 0..n_levels-1 (-1 for no answer) with a label per level. */
typedef struct survey_question {
  const char *name;   /* borrowed from the table */
  size_t n;
  int32_t *codes;     /* owned */
  char **labels;      /* owned, n_levels */
  uint32_t n_levels;
} survey_question;

/* Column `name` of t as a question: levels are the distinct answers in their natural
 * order (numbers numerically, text byte-wise), labelled as written; with a codebook (may
 * be NULL) that labels the column, a coded question's levels are its labelled codes and
 * the codes the data holds besides (a scale labelled at its ends), in code order, with
 * their value labels. 0 or an exit code (reported: a missing column, a date column, more
 * than SURVEY_MAX_LEVELS answers). */
int survey_question_from_column(const segkit_table *t, const char *name, const char *verb,
                                const segkit_codebook *cb, survey_question *q);
void survey_question_free(survey_question *q);

/* Row i's value as a number: int64, float64 or bool (1/0); NaN for a null or text. */
double survey_value_at(const segkit_column *c, size_t i);

/* The (weighted) mean of numeric column col per level of `by` (the survey module's means,
 * with so's letters; so may be NULL). 0 or an exit code (reported). */
int survey_means_by(const segkit_table *t, const char *col, const survey_question *by,
                    const double *w, const segkit_sig_options *so, segkit_means **out);

/* Row i's answer as text (NULL for no answer); numbers are written into buf. */
const char *survey_answer_text(const segkit_column *c, size_t i, char *buf, size_t size);

/* --weight COL, or --weighted (the column 'weight'): the weights as doubles, or *out =
 * NULL when neither is given. 0 or an exit code (reported). */
int survey_weights_from_args(cli_args *a, const segkit_table *t, const char *verb,
                             double **out);

/* The survey of crosstab, size, profile: --dataset NAME, or the FILE at positional index
 * first_file. 0 or an exit code (reported). */
int survey_load(cli_args *a, size_t first_file, segkit_table **t);

/* The respondents and their segments (survey_source.c): --dataset NAME or a FILE with
 * --by (and --segments NAME to look --by up by id), or a saved segmentation as the first
 * argument (its dataset, id and segment column). *t has the `by` column. */
typedef struct survey_source {
  char dataset[128];   /* "" when read from a file */
  const char *file;
  char segments[128];  /* "" when by is the survey's own column */
  char by[128];
  char id[256];
} survey_source;
int survey_open(cli_args *a, survey_source *src, segkit_table **t);
/* survey_open, then the survey's codebook (*cb, NULL when none) and its segments as a
 * question (the by column, labelled by the codebook). When survey_open fails nothing is
 * allocated; otherwise *t, *cb and *seg are the caller's to free, whatever the result.
 * 0 or an exit code (reported). */
int survey_open_segments(cli_args *a, survey_source *src, segkit_table **t, segkit_codebook **cb,
                         survey_question *seg);

/* Survey responses as the workspace keeps them: missing codes' reasons in COL_missing
 * columns, an SPSS/Stata id of whole numbers as int64 (survey_import.c). */
int survey_table_for_workspace(const segkit_survey_data *d, const char *id,
                               segkit_table **out);
/* Store t as dataset name (key id, may be NULL) and d's codebook as model codebook-NAME. */
int survey_store(segkit_workspace *ws, const char *name, const char *id, const char *source,
                 const segkit_survey_data *d, const segkit_table *t);

/* The codebook stored with a dataset by survey import, or NULL (none, or no workspace). */
segkit_codebook *survey_codebook_load(cli_args *a, const char *dataset);

/* The subcommands (survey_import.c, survey_weight.c, survey_tables.c, survey_size.c,
 * survey_profile.c, survey_typing.c, survey_segment.c). */
int survey_import(cli_args *a);
int survey_weight(cli_args *a);
int survey_crosstab(cli_args *a);
int survey_size(cli_args *a);
int survey_profile(cli_args *a);
int survey_typing(cli_args *a);
int survey_type(cli_args *a);
int survey_bridge(cli_args *a);
int survey_segment(cli_args *a);
int survey_target(cli_args *a);

/* For segments labelled labels[0..k): the index of our customers' share against the
 * market's (100 = as in the market) from typing model `model` applied to dataset
 * `customers`, and with --subscriptions their LTV (NaN where unknown); segments are matched
 * to the model's by name (survey_typing.c). 0 or an exit code (reported). */
int survey_customer_mix(cli_args *a, const char *model, const char *customers, size_t k,
                        char *const *labels, double *index_out, double *ltv_out);

#endif
