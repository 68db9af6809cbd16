/* Writes levels.sav: SPSS measurement levels set explicitly (R's haven writes every
 * number as "scale"), through ReadStat's own writer API (Debian libreadstat-dev).
 *   sat    ordinal, labels 1 "Low" .. 5 "High" (2-4 unlabelled), user-missing 9 "No answer"
 *   party  nominal, labels 1 "Red" 2 "Blue"; one 2.5 in the data (not an integer code)
 *   score  scale, labels 0 "None" and 10 "Top"; whole numbers in the data
 *   name   string
 * Build and run (from the repository root):
 *   cc tests/data/survey_file/make_levels.c -o /tmp/make_levels -lreadstat &&
 *   /tmp/make_levels tests/data/survey_file/levels.sav */
#include <readstat.h>
#include <stdio.h>
#include <unistd.h>

static ssize_t write_bytes(const void *data, size_t len, void *ctx) {
  return (ssize_t)fwrite(data, 1, len, (FILE *)ctx);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_levels OUT.sav\n");
    return 2;
  }
  FILE *fp = fopen(argv[1], "wb");
  if (fp == NULL) {
    perror(argv[1]);
    return 1;
  }
  readstat_writer_t *w = readstat_writer_init();
  readstat_set_data_writer(w, write_bytes);
  readstat_label_set_t *sat_l = readstat_add_label_set(w, READSTAT_TYPE_DOUBLE, "sat_l");
  readstat_label_double_value(sat_l, 1, "Low");
  readstat_label_double_value(sat_l, 5, "High");
  readstat_label_double_value(sat_l, 9, "No answer");
  readstat_label_set_t *party_l = readstat_add_label_set(w, READSTAT_TYPE_DOUBLE, "party_l");
  readstat_label_double_value(party_l, 1, "Red");
  readstat_label_double_value(party_l, 2, "Blue");
  readstat_label_set_t *score_l = readstat_add_label_set(w, READSTAT_TYPE_DOUBLE, "score_l");
  readstat_label_double_value(score_l, 0, "None");
  readstat_label_double_value(score_l, 10, "Top");

  readstat_variable_t *sat = readstat_add_variable(w, "sat", READSTAT_TYPE_DOUBLE, 0);
  readstat_variable_set_label(sat, "Overall satisfaction");
  readstat_variable_set_label_set(sat, sat_l);
  readstat_variable_set_measure(sat, READSTAT_MEASURE_ORDINAL);
  readstat_variable_add_missing_double_value(sat, 9);
  readstat_variable_t *party = readstat_add_variable(w, "party", READSTAT_TYPE_DOUBLE, 0);
  readstat_variable_set_label(party, "Party");
  readstat_variable_set_label_set(party, party_l);
  readstat_variable_set_measure(party, READSTAT_MEASURE_NOMINAL);
  readstat_variable_t *score = readstat_add_variable(w, "score", READSTAT_TYPE_DOUBLE, 0);
  readstat_variable_set_label(score, "Score 0-10");
  readstat_variable_set_label_set(score, score_l);
  readstat_variable_set_measure(score, READSTAT_MEASURE_SCALE);
  readstat_variable_t *name = readstat_add_variable(w, "name", READSTAT_TYPE_STRING, 16);
  readstat_variable_set_label(name, "First name");
  readstat_variable_set_measure(name, READSTAT_MEASURE_NOMINAL);

  const double sat_v[5] = {1, 3, 9, 5, -1};   /* -1: system missing */
  const double party_v[5] = {1, 2, 2.5, 2, 1};
  const double score_v[5] = {0, 7, 10, 3, 10};
  const char *name_v[5] = {"Ann", "Bo", "", "Dee", "Eve"};
  readstat_begin_writing_sav(w, fp, 5);
  for (int r = 0; r < 5; r++) {
    readstat_begin_row(w);
    if (sat_v[r] < 0) {
      readstat_insert_missing_value(w, sat);
    } else {
      readstat_insert_double_value(w, sat, sat_v[r]);
    }
    readstat_insert_double_value(w, party, party_v[r]);
    readstat_insert_double_value(w, score, score_v[r]);
    readstat_insert_string_value(w, name, name_v[r]);
    readstat_end_row(w);
  }
  readstat_error_t rc = readstat_end_writing(w);
  readstat_writer_free(w);
  fclose(fp);
  if (rc != READSTAT_OK) {
    fprintf(stderr, "%s\n", readstat_error_message(rc));
    return 1;
  }
  return 0;
}
