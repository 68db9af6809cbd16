/* Step 10 of segkit demo: market segments from the prospect survey — what segkit survey
 * does, end to end on the generated survey: read it with its codebook (missing codes
 * become no answer), find needs-based segments by k-means on the fifteen attitude items,
 * check them against the segments the generator planted (adjusted Rand index), say what
 * sets each apart (profile), size them with intervals, choose the golden questions that
 * type a new respondent (held-out accuracy), and type our own customers who answered them
 * (customer_survey.csv) to see where we win: the bridge. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster_cli.h"
#include "segkit/insight.h"
#include "segkit/survey.h"
#include "survey_cli.h"

enum { DEMO_SEGMENTS = 5, N_ITEMS = 15, GOLDEN_MAX = 6 };

/* The planted segment of each respondent (survey_truth.csv: respondent_id,segment,...;
 * segments numbered from 1 there, from 0 here), by row of the survey, -1 when unknown;
 * names[code] gets each segment's name. */
static int32_t *planted(const char *dir, const segkit_table *survey,
                        char names[DEMO_SEGMENTS][64]) {
  char path[4096];
  snprintf(path, sizeof path, "%s/survey_truth.csv", dir);
  segkit_read_options o;
  segkit_read_options_init(&o);
  o.n_threads = 1;
  segkit_read_result *res = NULL;
  segkit_error err;
  if (segkit_csv_read(path, &o, &res, &err) != SEGKIT_OK) {
    return NULL;
  }
  const segkit_table *t = segkit_read_result_table(res);
  long ki = segkit_table_column_index(t, "respondent_id");
  long si = segkit_table_column_index(t, "segment");
  long sk = segkit_table_column_index(survey, "respondent_id");
  size_t n = segkit_table_n_rows(survey);
  int32_t *out = malloc((n + 1) * sizeof *out);
  if (out == NULL || ki < 0 || si < 0 || sk < 0 ||
      segkit_column_int64(segkit_table_column(t, (size_t)ki)) == NULL ||
      segkit_column_int64(segkit_table_column(survey, (size_t)sk)) == NULL) {
    free(out);
    segkit_read_result_free(res);
    return NULL;
  }
  long ni = segkit_table_column_index(t, "segment_name");
  for (size_t j = 0; ni >= 0 && j < segkit_table_n_rows(t); j++) {
    /* survey_truth.csv numbers the segments from 1 */
    int64_t code = segkit_column_int64(segkit_table_column(t, (size_t)si))[j] - 1;
    size_t len = 0;
    const segkit_column *nc = segkit_table_column(t, (size_t)ni);
    if (code >= 0 && code < DEMO_SEGMENTS && segkit_column_is_valid(nc, j) &&
        names[code][0] == '\0') {
      const char *nm = segkit_column_dict_value(nc, segkit_column_codes(nc)[j], &len);
      snprintf(names[code], 64, "%s", nm);
    }
  }
  /* the generator writes both files in respondent order: match by id anyway */
  const int64_t *tid = segkit_column_int64(segkit_table_column(t, (size_t)ki));
  const int64_t *seg = segkit_column_int64(segkit_table_column(t, (size_t)si));
  const int64_t *sid = segkit_column_int64(segkit_table_column(survey, (size_t)sk));
  size_t nt = segkit_table_n_rows(t);
  for (size_t i = 0, j = 0; i < n; i++) {
    while (j < nt && tid[j] < sid[i]) {
      j++;
    }
    out[i] = j < nt && tid[j] == sid[i] ? (int32_t)(seg[j] - 1) : -1;
  }
  segkit_read_result_free(res);
  return out;
}

static int read_survey(segkit_workspace *ws, const char *dir, segkit_table **t,
                       segkit_codebook **codebook) {
  char data[4096], book[4096];
  snprintf(data, sizeof data, "%s/survey.csv", dir);
  snprintf(book, sizeof book, "%s/survey_codebook.json", dir);
  segkit_codebook *cb = NULL;
  segkit_survey_data *d = NULL;
  segkit_error err;
  segkit_survey_options o;
  segkit_survey_options_init(&o);
  o.id_column = "respondent_id";
  int rc = 0;
  if (segkit_codebook_read(book, &cb, &err) != SEGKIT_OK ||
      segkit_survey_read_csv(data, cb, &o, &d, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    rc = survey_table_for_workspace(d, "respondent_id", t);
  }
  if (rc == 0) {
    rc = survey_store(ws, "prospects", "respondent_id", data, d, *t);
  }
  if (rc == 0) {
    size_t missing = 0;
    const segkit_table *raw = segkit_survey_data_table(d);
    const segkit_codebook *c = segkit_survey_data_codebook(d);
    for (size_t col = 0; col < segkit_table_n_cols(raw); col++) {
      long var = segkit_survey_data_variable_of(d, col, NULL);
      for (size_t m = 0; var >= 0 && m < segkit_codebook_n_missing(c, (size_t)var); m++) {
        missing += segkit_survey_data_reason_count(d, col, (uint16_t)(m + 1));
      }
    }
    printf("  %zu respondents, %zu questions, %zu answers were missing codes (don't know, "
           "refused) and became no answer; %zu bad values (stored as dataset prospects)\n",
           segkit_table_n_rows(*t), segkit_codebook_n_variables(c), missing,
           segkit_survey_data_n_bad(d));
  }
  if (rc == 0) {
    *codebook = segkit_survey_data_take_codebook(d);
  }
  segkit_survey_data_free(d);
  segkit_codebook_free(cb);
  return rc;
}

/* Weights from raking the respondents to the market's margins (survey_margins.csv:
 * variable,category,share, categories named by the codebook's labels); NULL when the file
 * is missing or does not fit, which the demo reports and goes on without. */
static double *rake_to_market(const char *dir, const segkit_table *t, const segkit_codebook *cb) {
  char path[4096];
  snprintf(path, sizeof path, "%s/survey_margins.csv", dir);
  segkit_read_options o;
  segkit_read_options_init(&o);
  const segkit_type_override types[] = {{"variable", SEGKIT_TYPE_STRING},
                                        {"category", SEGKIT_TYPE_STRING},
                                        {"share", SEGKIT_TYPE_FLOAT64}};
  o.types = types;
  o.n_types = 3;
  o.n_threads = 1;
  segkit_read_result *res = NULL;
  segkit_error err;
  if (segkit_csv_read(path, &o, &res, &err) != SEGKIT_OK) {
    printf("  (not weighted: %s)\n", err.message);
    return NULL;
  }
  const segkit_table *m = segkit_read_result_table(res);
  size_t nr = segkit_table_n_rows(m);
  segkit_margin_row rows[64];
  const char *vars[8];
  size_t nv = 0;
  size_t len = 0;
  for (size_t i = 0; i < nr && i < 64; i++) {
    const segkit_column *cv = segkit_table_column(m, 0);
    const segkit_column *cc = segkit_table_column(m, 1);
    rows[i] = (segkit_margin_row){
        .variable = segkit_column_dict_value(cv, segkit_column_codes(cv)[i], &len),
        .category = segkit_column_dict_value(cc, segkit_column_codes(cc)[i], &len),
        .share = segkit_column_float64(segkit_table_column(m, 2))[i]};
    size_t k = 0;
    while (k < nv && strcmp(vars[k], rows[i].variable) != 0) {
      k++;
    }
    if (k == nv && nv < 8) {
      vars[nv++] = rows[i].variable;
    }
  }
  size_t n = segkit_table_n_rows(t);
  const char **answers[8];
  bool ok = true;
  for (size_t v = 0; v < nv; v++) {
    answers[v] = calloc(n + 1, sizeof *answers[v]);
    long ci = segkit_table_column_index(t, vars[v]);
    long cv = segkit_codebook_find(cb, vars[v]);
    ok = ok && answers[v] != NULL && ci >= 0 && cv >= 0;
    for (size_t i = 0; ok && i < n; i++) {
      const segkit_column *c = segkit_table_column(t, (size_t)ci);
      answers[v][i] = segkit_column_is_valid(c, i) && segkit_column_int64(c) != NULL
                          ? segkit_codebook_label(cb, (size_t)cv, segkit_column_int64(c)[i])
                          : NULL;
    }
  }
  segkit_rake_spec *spec = NULL;
  segkit_rake *rk = NULL;
  double *w = NULL;
  if (ok && segkit_rake_spec_new(rows, nr, vars, nv, n, (const char *const *const *)answers,
                                 &spec, &err) == SEGKIT_OK &&
      segkit_rake_new(n, NULL, segkit_rake_spec_vars(spec), segkit_rake_spec_n_vars(spec), NULL,
                      &rk, &err) == SEGKIT_OK) {
    const segkit_rake_report *r = segkit_rake_result(rk);
    w = malloc((n + 1) * sizeof *w);
    if (w != NULL) {
      memcpy(w, segkit_rake_weights(rk), n * sizeof *w);
    }
    printf("  weighted to the market's company-size and region margins (survey_margins.csv, "
           "segkit survey weight): %s, design effect %.3f, effective sample size %.0f of %zu\n",
           r->converged ? "converged" : "NOT converged", r->weights.deff, r->weights.n_eff, n);
  } else {
    printf("  (not weighted: %s)\n", ok ? err.message : "the margins name unknown questions");
  }
  segkit_rake_free(rk);
  segkit_rake_spec_free(spec);
  for (size_t v = 0; v < nv; v++) {
    free(answers[v]);
  }
  segkit_read_result_free(res);
  return w;
}

/* Codes of an attitude item per respondent for the profile (answer 1..5 -> 0..4). */
static void item_codes(const segkit_table *t, const char *name, int32_t *codes) {
  const segkit_column *c = segkit_table_column(t, (size_t)segkit_table_column_index(t, name));
  for (size_t i = 0; i < segkit_table_n_rows(t); i++) {
    double v = survey_value_at(c, i);
    codes[i] = isfinite(v) && v >= 1 && v <= 5 ? (int32_t)v - 1 : -1;
  }
}

static void print_profile(const segkit_table *t, const int32_t *seg, const char *const *items) {
  size_t n = segkit_table_n_rows(t);
  int32_t *codes = malloc((N_ITEMS * n + 1) * sizeof *codes);
  if (codes == NULL) {
    return;
  }
  static const char *const labels[] = {"1", "2", "3", "4", "5"};
  segkit_profile_question q[N_ITEMS];
  for (size_t k = 0; k < N_ITEMS; k++) {
    item_codes(t, items[k], codes + k * n);
    q[k] = (segkit_profile_question){.name = items[k], .codes = codes + k * n, .n_levels = 5,
                                     .level_labels = labels};
  }
  segkit_profile_input in = {.n = n, .segment = seg, .n_segments = DEMO_SEGMENTS,
                             .questions = q, .n_questions = N_ITEMS};
  segkit_profile *p = NULL;
  segkit_error err;
  if (segkit_profile_new(&in, NULL, &p, &err) == SEGKIT_OK) {
    printf("  what sets each segment apart (answers 1-5, share in the segment vs everyone, "
           "Benjamini-Hochberg over %zu tests):\n", segkit_profile_n_tests(p));
    for (uint32_t s = 0; s < DEMO_SEGMENTS; s++) {
      size_t top[2];
      size_t k = segkit_profile_top(p, s, 2, top);
      printf("    segment %u (%.1f%%):", s + 1, 100 * segkit_profile_segment_share(p, s));
      for (size_t i = 0; i < k; i++) {
        const segkit_profile_cell *c = segkit_profile_cell_at(p, top[i]);
        printf("%s %s = %s: %.0f%% vs %.0f%%", i > 0 ? ";" : "", items[c->question],
               labels[c->level], c->segment_pct, c->total_pct);
      }
      printf("\n");
    }
  }
  segkit_profile_free(p);
  free(codes);
}

static void print_sizes(const int32_t *seg, size_t n, const double *w,
                        const char *const *names) {
  segkit_shares_input in = {.n = n, .codes = seg, .n_levels = DEMO_SEGMENTS, .level = 0.95,
                            .population_total = 120000, .weights = w};
  segkit_shares_input plain = in;
  plain.weights = NULL;
  segkit_shares *unweighted = NULL;
  segkit_shares *sh = NULL;
  segkit_error err;
  if (segkit_shares_new(&in, &sh, &err) != SEGKIT_OK ||
      segkit_shares_new(&plain, &unweighted, &err) != SEGKIT_OK) {
    segkit_shares_free(sh);
    return;
  }
  printf("  %s sizes in an assumed market of 120,000 companies (95%% logit intervals):\n",
         w != NULL ? "weighted" : "unweighted");
  for (uint32_t s = 0; s < DEMO_SEGMENTS; s++) {
    const segkit_share *x = segkit_shares_at(sh, s);
    printf("    %-26s %5.1f%% (unweighted %5.1f%%): %.0f (%.0f-%.0f)\n", names[s],
           100 * x->share, 100 * segkit_shares_at(unweighted, s)->share, x->projected,
           x->projected_lower, x->projected_upper);
  }
  segkit_shares_free(sh);
  segkit_shares_free(unweighted);
}

static segkit_typing *print_typing(const segkit_table *t, const int32_t *seg,
                                   const char *const *items) {
  size_t n = segkit_table_n_rows(t);
  double *x = malloc((N_ITEMS * n + 1) * sizeof *x);
  int32_t *y = malloc((n + 1) * sizeof *y);
  size_t m = 0;
  for (size_t i = 0; x != NULL && y != NULL && i < n; i++) {
    bool ok = seg[i] >= 0;
    for (size_t k = 0; ok && k < N_ITEMS; k++) {
      const segkit_column *c =
          segkit_table_column(t, (size_t)segkit_table_column_index(t, items[k]));
      x[m * N_ITEMS + k] = survey_value_at(c, i);
      ok = isfinite(x[m * N_ITEMS + k]);
    }
    if (ok) {
      y[m++] = seg[i];
    }
  }
  segkit_typing_input in = {.n = m, .n_questions = N_ITEMS, .answers = x,
                            .question_names = items, .segments = y,
                            .n_segments = DEMO_SEGMENTS};
  segkit_typing_options o;
  memset(&o, 0, sizeof o);
  o.max_questions = GOLDEN_MAX;
  segkit_typing *tm = NULL;
  segkit_error err;
  if (x != NULL && y != NULL && segkit_typing_new(&in, &o, &tm, &err) == SEGKIT_OK) {
    const segkit_typing_view *v = segkit_typing_get(tm);
    printf("  golden questions:");
    for (uint32_t k = 0; k < v->n_chosen; k++) {
      printf("%s %s", k > 0 ? "," : "", v->chosen_names[k]);
    }
    printf(": %.1f%% of %zu held-out respondents typed correctly (segkit survey typing)\n",
           100 * v->holdout_accuracy, v->n_holdout);
  } else {
    segkit_typing_free(tm);
    tm = NULL;
  }
  free(x);
  free(y);
  return tm;
}

/* Each cluster named after the planted segment most of its respondents belong to (the
 * demo knows the truth; a study names segments from their profiles). */
static void cluster_names(const int32_t *seg, const int32_t *truth, size_t n,
                          char planted_names[DEMO_SEGMENTS][64], const char *out[DEMO_SEGMENTS]) {
  size_t count[DEMO_SEGMENTS][DEMO_SEGMENTS] = {{0}};
  for (size_t i = 0; truth != NULL && i < n; i++) {
    if (seg[i] >= 0 && seg[i] < DEMO_SEGMENTS && truth[i] >= 0 && truth[i] < DEMO_SEGMENTS) {
      count[seg[i]][truth[i]]++;
    }
  }
  for (int c = 0; c < DEMO_SEGMENTS; c++) {
    int best = 0;
    for (int p = 1; p < DEMO_SEGMENTS; p++) {
      best = count[c][p] > count[c][best] ? p : best;
    }
    out[c] = planted_names[best][0] != '\0' ? planted_names[best] : "?";
  }
}

/* The bridge: our customers who answered the attitude battery (customer_survey.csv)
 * typed with the golden questions, against each segment's share of the market. */
static void print_bridge(const char *dir, const segkit_typing *tm, const double *market,
                         const char *const *names) {
  char path[4096];
  snprintf(path, sizeof path, "%s/customer_survey.csv", dir);
  segkit_read_options o;
  segkit_read_options_init(&o);
  o.n_threads = 1;
  segkit_read_result *res = NULL;
  segkit_error err;
  if (segkit_csv_read(path, &o, &res, &err) != SEGKIT_OK) {
    printf("  bridge: no customer survey (%s)\n", err.message);
    return;
  }
  const segkit_table *t = segkit_read_result_table(res);
  const segkit_typing_view *v = segkit_typing_get(tm);
  long cols[GOLDEN_MAX];
  bool ok = true;
  for (uint32_t k = 0; k < v->n_chosen && ok; k++) {
    cols[k] = segkit_table_column_index(t, v->chosen_names[k]);
    ok = cols[k] >= 0;
  }
  size_t count[DEMO_SEGMENTS] = {0};
  size_t typed = 0;
  size_t n = segkit_table_n_rows(t);
  for (size_t i = 0; ok && i < n; i++) {
    double row[GOLDEN_MAX];
    bool answered = true;
    for (uint32_t k = 0; k < v->n_chosen && answered; k++) {
      row[k] = survey_value_at(segkit_table_column(t, (size_t)cols[k]), i);
      answered = isfinite(row[k]);
    }
    int32_t s = -1;
    if (answered && segkit_typing_classify(tm, 1, row, &s, NULL, &err) == SEGKIT_OK && s >= 0 &&
        s < DEMO_SEGMENTS) {
      count[s]++;
      typed++;
    }
  }
  if (ok && typed > 0) {
    printf("  bridge: %zu of our customers answered the golden questions (customer_survey.csv):\n",
           typed);
    for (int s = 0; s < DEMO_SEGMENTS; s++) {
      double ours = (double)count[s] / (double)typed;
      printf("    %-26s market %4.1f%%, our customers %4.1f%%, index %3.0f, penetration %.2f%% "
             "of %.0f\n",
             names[s], 100 * market[s], 100 * ours, market[s] > 0 ? 100 * ours / market[s] : 0.0,
             market[s] > 0 ? 100.0 * (double)count[s] / (market[s] * 120000) : 0.0,
             market[s] * 120000);
    }
  }
  segkit_read_result_free(res);
}

int cli_demo_market(segkit_workspace *ws, const char *dir, int n_threads) {
  printf("\n== 10. market segments from the prospect survey (segkit survey import, cluster fit, "
         "survey profile, size, typing)\n");
  segkit_table *t = NULL;
  segkit_codebook *cb = NULL;
  int rc = read_survey(ws, dir, &t, &cb);
  if (rc != 0) {
    return rc;
  }
  static const char *const items[N_ITEMS] = {"att_01", "att_02", "att_03", "att_04", "att_05",
                                             "att_06", "att_07", "att_08", "att_09", "att_10",
                                             "att_11", "att_12", "att_13", "att_14", "att_15"};
  cli_cluster_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.method = SEGKIT_CLUSTER_KMEANS;
  for (size_t i = 0; i < N_ITEMS; i++) {
    spec.features[i] = items[i];
  }
  spec.n_features = N_ITEMS;
  spec.scale = SEGKIT_SCALE_ZSCORE;
  spec.missing = SEGKIT_MISSING_MEAN;
  cli_cluster_data d;
  memset(&d, 0, sizeof d);
  rc = cli_cluster_data_fit(t, &spec, &d);
  segkit_cluster_model *m = NULL;
  segkit_error err;
  if (rc == 0 && d.n < 20 * DEMO_SEGMENTS) {
    printf("  too few respondents to segment\n");
    cli_cluster_data_free(&d);
    segkit_codebook_free(cb);
    segkit_table_free(t);
    return 0;
  }
  if (rc == 0) {
    segkit_cluster_options o;
    segkit_cluster_options_init(&o);
    o.k = DEMO_SEGMENTS;
    o.n_threads = n_threads;
    segkit_cluster_data cd;
    cli_cluster_data_view(&d, &cd);
    if (segkit_cluster_fit(&cd, &o, &m, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  size_t n = segkit_table_n_rows(t);
  int32_t *seg = rc == 0 ? malloc((n + 1) * sizeof *seg) : NULL;
  for (size_t i = 0; seg != NULL && i < n; i++) {
    seg[i] = -1;
  }
  for (size_t i = 0; seg != NULL && i < d.n; i++) {
    seg[d.row_index[i]] = segkit_cluster_model_labels(m)[i];
  }
  char planted_names[DEMO_SEGMENTS][64] = {{0}};
  int32_t *truth = seg != NULL ? planted(dir, t, planted_names) : NULL;
  if (seg != NULL) {
    double ari = NAN;
    if (truth != NULL) {
      segkit_adjusted_rand(truth, seg, n, &ari, &err);
    }
    printf("  k-means (k = %d) on the %d attitude items (z-scored, no answer = the item's "
           "mean): adjusted Rand index against the planted segments %.3f\n",
           DEMO_SEGMENTS, N_ITEMS, ari);
    const char *names[DEMO_SEGMENTS];
    cluster_names(seg, truth, n, planted_names, names);
    print_profile(t, seg, items);
    double *w = rake_to_market(dir, t, cb);
    print_sizes(seg, n, w, names);
    segkit_typing *tm = print_typing(t, seg, items);
    /* the market's shares: weighted when the raking worked */
    double market[DEMO_SEGMENTS] = {0}, total = 0;
    for (size_t i = 0; i < n; i++) {
      if (seg[i] >= 0 && seg[i] < DEMO_SEGMENTS) {
        double wi = w != NULL ? w[i] : 1.0;
        market[seg[i]] += wi;
        total += wi;
      }
    }
    for (int k2 = 0; k2 < DEMO_SEGMENTS && total > 0; k2++) {
      market[k2] /= total;
    }
    if (tm != NULL) {
      print_bridge(dir, tm, market, names);
    }
    segkit_typing_free(tm);
    free(w);
  }
  free(truth);
  free(seg);
  segkit_cluster_model_free(m);
  cli_cluster_data_free(&d);
  segkit_codebook_free(cb);
  segkit_table_free(t);
  return rc;
}
